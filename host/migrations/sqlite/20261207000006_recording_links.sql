-- Recording links vendors send with their call events are downloaded and
-- stored by the host when the installation may reach their host (its
-- `pbxUrl`), like pulled recordings.
--
-- `fetch_after` (read on `linked` rows only): when the next download try is
-- due; NULL when none is to be made (a link on a host the installation may
-- not reach stays a link). A worker that takes a link moves this past its
-- download timeout, so a try cut short by a crash comes due again. New links
-- and every existing one are due at once (DEFAULT 0).
ALTER TABLE recordings ADD COLUMN fetch_after INTEGER DEFAULT 0;
ALTER TABLE recordings ADD COLUMN fetch_attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX recordings_links_due ON recordings (fetch_after)
    WHERE status = 'linked' AND fetch_after IS NOT NULL;
