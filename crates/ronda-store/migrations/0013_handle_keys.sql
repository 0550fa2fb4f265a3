-- Look-alike account handles meet in one case (ronda_core::target::handle_key). The keys are
-- computed in Rust, so the data pass `handle_keys` (passes.rs) fills them and re-keys and
-- merges existing cases, once, after this migration.
-- Accounts are found by (platform, handle key); the exact handle is no longer unique (two
-- look-alike spellings may exist from before), and one index per account is kept: the
-- backend files that follow replace UNIQUE (platform_id, handle) by the handle-key index.
-- A case merged into another (a look-alike of its account): closed, pointing at the survivor.
ALTER TABLE cases ADD COLUMN merged_into BIGINT REFERENCES cases(id);
-- Data passes applied: changes to stored rows that SQL alone cannot make.
CREATE TABLE data_passes (
    name        TEXT    PRIMARY KEY,
    applied_at  BIGINT  NOT NULL
);
