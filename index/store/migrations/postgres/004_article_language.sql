-- The language each article is written in (an ISO 639-1 code: declared by its page,
-- detected from its text, or the guild's main language), which decides how its words
-- become index terms. NULL for articles stored before: they were indexed as English.

ALTER TABLE articles ADD COLUMN language TEXT;
