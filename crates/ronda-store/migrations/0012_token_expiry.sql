-- Tokens may expire: after `expires_at` (epoch ms) a token authenticates nothing. NULL: no expiry.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
