-- Pulling now follows "Set as default" (seed 000): the scheduler runs only a
-- business's default integration of each recording-source kind. Where a
-- business has recording sources (integrations with a pull schedule, of any
-- kind, third-party ones too) and no default in their family, one of them
-- becomes the default so that the business keeps pulling: the earliest whose
-- schedule is enabled, else the earliest. (A second account of the same kind
-- now pulls only when asked, or once it is made the default.)
UPDATE integrations SET is_default = TRUE
WHERE id IN (
    SELECT (
        SELECT e.id FROM integrations e
        JOIN recording_syncs s ON s.integration_id = e.id
        WHERE e.business_id = i.business_id AND e.family = i.family
        ORDER BY s.enabled DESC, e.created_at, e.id
        LIMIT 1)
    FROM integrations i
    WHERE EXISTS (SELECT 1 FROM recording_syncs s2 WHERE s2.integration_id = i.id)
      AND NOT EXISTS (
        SELECT 1 FROM integrations d
        WHERE d.business_id = i.business_id
          AND d.family = i.family
          AND d.is_default = TRUE));
