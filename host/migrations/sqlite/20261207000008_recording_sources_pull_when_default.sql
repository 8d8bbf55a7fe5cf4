-- Pulling now follows "Set as default" (seed 000): the scheduler runs only a
-- business's default integration of each recording-source kind. A business
-- that was already pulling with no default of a kind keeps pulling: its
-- earliest integration of that kind becomes the default.
UPDATE integrations SET is_default = TRUE
WHERE kind IN ('dtac', 'threecx-cloud')
  AND NOT EXISTS (
    SELECT 1 FROM integrations d
    WHERE d.business_id = integrations.business_id
      AND d.family = integrations.family
      AND d.is_default = TRUE)
  AND id = (
    SELECT e.id FROM integrations e
    WHERE e.business_id = integrations.business_id AND e.kind = integrations.kind
    ORDER BY e.created_at, e.id
    LIMIT 1);
