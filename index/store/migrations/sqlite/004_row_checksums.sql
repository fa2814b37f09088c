-- A checksum per row (CRC-32 of its columns, computed by newsbot_row_checksum, a
-- function the store registers) and a log of the migrations from this one on.

ALTER TABLE articles ADD COLUMN checksum INTEGER;

ALTER TABLE paragraphs ADD COLUMN checksum INTEGER;

ALTER TABLE guild_settings ADD COLUMN checksum INTEGER;

ALTER TABLE guild_counters ADD COLUMN checksum INTEGER;

ALTER TABLE audit_log ADD COLUMN checksum INTEGER;

ALTER TABLE questions ADD COLUMN checksum INTEGER;

ALTER TABLE pending_ingests ADD COLUMN checksum INTEGER;

UPDATE articles SET checksum = newsbot_row_checksum(
    id, guild_id, title, source_url, canonical_url, fingerprint, note, site_name, author,
    published, poster_id, poster_name, channel_id, message_id, message_url, posted_at,
    created_at, paragraph_count
);

UPDATE paragraphs SET checksum = newsbot_row_checksum(id, guild_id, article_id, position, text);

UPDATE guild_settings SET checksum = newsbot_row_checksum(guild_id, key, value);

UPDATE guild_counters SET checksum = newsbot_row_checksum(guild_id, key, value);

UPDATE audit_log SET checksum = newsbot_row_checksum(id, guild_id, user_id, user_name, action, detail, created_at);

UPDATE questions SET checksum = newsbot_row_checksum(id, guild_id, user_id, question, article_id, created_at);

UPDATE pending_ingests SET checksum = newsbot_row_checksum(id, guild_id, channel_id, message_id, content, attempts, accepted_at);

CREATE TABLE schema_log (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL,
    checksum INTEGER
);
