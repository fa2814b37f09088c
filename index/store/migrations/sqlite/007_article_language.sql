-- The language each article is written in (an ISO 639-1 code: declared by its page,
-- detected from its text, or the guild's main language), which decides how its words
-- become index terms. NULL for articles stored before: they were indexed as English.
-- The column joins each row's checksum; a row whose checksum no longer matched before
-- this migration keeps its old checksum, so the damage is still found.

ALTER TABLE articles ADD COLUMN language TEXT;

UPDATE articles SET checksum = newsbot_row_checksum(
    id, guild_id, title, source_url, canonical_url, fingerprint, note, site_name, author,
    published, poster_id, poster_name, channel_id, message_id, message_url, posted_at,
    created_at, paragraph_count, language
)
WHERE checksum = newsbot_row_checksum(
    id, guild_id, title, source_url, canonical_url, fingerprint, note, site_name, author,
    published, poster_id, poster_name, channel_id, message_id, message_url, posted_at,
    created_at, paragraph_count
);
