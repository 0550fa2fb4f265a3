ALTER TABLE content_captures ADD COLUMN warc BYTEA;
