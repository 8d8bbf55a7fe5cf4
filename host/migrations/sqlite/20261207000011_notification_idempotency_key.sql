-- `POST /notifications/send` with an `Idempotency-Key` header: the key
-- names the notification, so a caller that retries after `ok: false` (as
-- seed 000 invites) gets the first notification's outcome instead of a
-- second send. Unique per business; other notifications have none.
ALTER TABLE notifications ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX notifications_by_idempotency_key
    ON notifications (business_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
