-- Entries the parser left out as pages of their site (About, Search, Archives…) on the last fetch.
ALTER TABLE sources ADD COLUMN pages_skipped BIGINT NOT NULL DEFAULT 0;
-- How pages show a post's tags whose feed labels them otherwise than their term: {"term": "label"}.
ALTER TABLE posts ADD COLUMN category_labels TEXT NOT NULL DEFAULT '{}';
-- Site pages earlier versions stored as posts go on their source's next fetch, which must therefore be a
-- whole response, not a 304.
UPDATE sources SET etag = NULL, last_modified = NULL;
-- Posts without a date take the one their article page states: read those pages (again).
UPDATE posts SET page_checked = FALSE WHERE published_at IS NULL;
-- The posts whose article page a crawl reads, newest first: only those, so a source with thousands of read
-- pages costs nothing to ask.
CREATE INDEX posts_to_visit ON posts (source_id, sort_at DESC, id DESC)
    WHERE NOT page_checked AND duplicate_of IS NULL AND url IS NOT NULL AND (thumbnail IS NULL OR published_at IS NULL);
