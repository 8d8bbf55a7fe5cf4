-- A token may speak for one member of its default business: a person of the
-- tenant's directory (`directory_users`). Preferences and the feed's read
-- state belong to that member, shared by all their tokens (web, mobile); a
-- token without a member is its own reader.
ALTER TABLE api_tokens ADD COLUMN user_id TEXT;
