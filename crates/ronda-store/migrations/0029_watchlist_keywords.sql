-- The terms a watch list's search templates (seeds with `{q}`) are crawled for.
ALTER TABLE watchlists ADD COLUMN keywords_json TEXT NOT NULL DEFAULT '[]';
