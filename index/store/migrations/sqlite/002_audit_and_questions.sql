-- The moderators' audit log, and the questions kept for paging their answers.

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    user_id INTEGER,
    user_name TEXT,
    action TEXT NOT NULL,
    detail TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX audit_by_guild ON audit_log (guild_id, id);

CREATE INDEX articles_by_message ON articles (guild_id, message_id);

CREATE TABLE questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    user_id INTEGER,
    question TEXT NOT NULL,
    article_id INTEGER,
    created_at TEXT NOT NULL
);
