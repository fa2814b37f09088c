-- What questions filter and compare articles by, derived from each article and kept
-- beside it: the site it came from (host without "www."), the date it reports from
-- (publication date when known, else when it was shared), and a MinHash signature of
-- its words with its LSH band keys (index/search/near_duplicates.py), so that a
-- near-identical re-share is found by equality lookups, not by reading the guild.
-- An article without a row here is filled in again by the engine (one stored before
-- this migration, or copied from another store).

CREATE TABLE article_facets (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    guild_id BIGINT NOT NULL,
    site TEXT,
    reported_at TIMESTAMPTZ NOT NULL,
    signature BYTEA
);
CREATE INDEX article_facets_by_site ON article_facets (guild_id, site);
CREATE INDEX article_facets_by_date ON article_facets (guild_id, reported_at);

CREATE TABLE article_bands (
    guild_id BIGINT NOT NULL,
    band_key BIGINT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (guild_id, band_key, article_id)
);
CREATE INDEX article_bands_by_article ON article_bands (article_id);

CREATE INDEX articles_by_poster ON articles (guild_id, poster_id);
CREATE INDEX articles_by_channel ON articles (guild_id, channel_id);
