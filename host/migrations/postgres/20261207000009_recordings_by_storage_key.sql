-- The startup sweep asks which files a recording names (`storage_key IN
-- (...)`, 500 at a time): without an index, one full scan per 500 files.
CREATE INDEX recordings_by_storage_key ON recordings (storage_key)
    WHERE storage_key IS NOT NULL;
