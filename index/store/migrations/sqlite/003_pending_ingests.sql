-- Accepted work, written down before it starts so a stop loses none of it.

CREATE TABLE pending_ingests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER,
    message_id INTEGER,
    content TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    accepted_at TEXT NOT NULL
);

CREATE INDEX pending_ingests_by_guild ON pending_ingests (guild_id, id);
