-- At most one pending job per call and kind. Enqueueing checked with
-- NOT EXISTS, which two PostgreSQL transactions (two recording links of one
-- call stored at once) both pass: the analyzer then ran, and was paid for,
-- twice. The index makes the second insert a no-op (ON CONFLICT DO NOTHING).
DELETE FROM analysis_jobs WHERE status = 'pending' AND id NOT IN
    (SELECT MIN(id) FROM analysis_jobs WHERE status = 'pending' GROUP BY call_id, kind);
CREATE UNIQUE INDEX analysis_jobs_one_pending ON analysis_jobs (call_id, kind)
    WHERE status = 'pending';
