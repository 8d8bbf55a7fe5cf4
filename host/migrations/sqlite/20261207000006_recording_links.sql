-- Recording links vendors send with their call events are downloaded and
-- stored by the host when the installation may reach their host (its
-- `pbxUrl`), like pulled recordings.
--
-- `fetch_after` (read on `linked` rows only): when the next download try is
-- due; NULL when none is to be made (a link on a host the installation may
-- not reach stays a link). A worker that takes a link moves this past its
-- download timeout, so a try cut short by a crash comes due again. New links
-- are due at once (DEFAULT 0). `fetch_attempts` counts tries begun.
--
-- Links already here stay links (`fetch_after` NULL, `fetch_attempts` -1, so
-- an integration's settings change does not queue them either): downloading
-- a business's whole history would also analyse every old call, at the
-- analyser's price, and fire automations on them.
ALTER TABLE recordings ADD COLUMN fetch_after INTEGER DEFAULT 0;
ALTER TABLE recordings ADD COLUMN fetch_attempts INTEGER NOT NULL DEFAULT 0;
UPDATE recordings SET fetch_after = NULL, fetch_attempts = -1 WHERE status = 'linked';
CREATE INDEX recordings_links_due ON recordings (fetch_after)
    WHERE status = 'linked' AND fetch_after IS NOT NULL;
