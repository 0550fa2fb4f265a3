ALTER TABLE accounts ADD COLUMN handle_key TEXT;
ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_platform_id_handle_key;
CREATE INDEX accounts_handle_key ON accounts (platform_id, handle_key);
