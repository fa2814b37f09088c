-- The change log (index/store/change_log.py): one row per article added or removed,
-- guild purged or paragraphs copied in, written in the transaction that made the change,
-- so that every process holding a guild's index can follow it. Old rows are pruned; the
-- one row of index_changes_pruned says up to which id.

CREATE TABLE index_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    article_id INTEGER,
    removed TEXT,
    made_at TEXT NOT NULL,
    checksum INTEGER
);

CREATE TABLE index_changes_pruned (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through INTEGER NOT NULL,
    checksum INTEGER
);
