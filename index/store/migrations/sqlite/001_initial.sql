-- Articles, their paragraphs, and each guild's settings and counters.

CREATE TABLE articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    source_url TEXT,
    canonical_url TEXT,
    fingerprint TEXT NOT NULL,
    note TEXT,
    site_name TEXT,
    author TEXT,
    published TEXT,
    poster_id INTEGER,
    poster_name TEXT,
    channel_id INTEGER,
    message_id INTEGER,
    message_url TEXT,
    posted_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    paragraph_count INTEGER NOT NULL
);

CREATE UNIQUE INDEX articles_by_fingerprint ON articles (guild_id, fingerprint);

CREATE UNIQUE INDEX articles_by_url ON articles (guild_id, canonical_url)
    WHERE canonical_url IS NOT NULL;

CREATE TABLE paragraphs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (article_id, position)
);

CREATE INDEX paragraphs_by_guild ON paragraphs (guild_id, article_id, position);

CREATE TABLE guild_settings (
    guild_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (guild_id, key)
) WITHOUT ROWID;

CREATE TABLE guild_counters (
    guild_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (guild_id, key)
) WITHOUT ROWID;
