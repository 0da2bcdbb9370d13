-- What the readers' lists need, kept by triggers in the transaction that writes posts (no write path can
-- forget to), so that no page aggregates over every post:
-- - per source, its posts' count and newest date (the company list's GROUP BY over 100,000 posts took
--   ≈ 7 ms on every home page);
-- - a row per tag and per topic of each post, in list order, so a tag's page reads its newest posts off
--   an index (filtering posts by the JSON of their categories scanned them all for a rare tag).
ALTER TABLE sources ADD COLUMN post_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN last_post_at INTEGER;
UPDATE sources SET post_count = (SELECT COUNT(*) FROM posts WHERE source_id = sources.id),
                   last_post_at = (SELECT MAX(sort_at) FROM posts WHERE source_id = sources.id);

-- A tag is the feed's category, case aside (lower() as the tag pages' queries apply it); a topic is the
-- tagger's slug. Each keeps its first 200 characters, as on PostgreSQL, whose index entries are bounded; the
-- query compares a longer one whole. WITHOUT ROWID: the key is the whole row, and the index the pages read.
CREATE TABLE post_tags (
    tag     TEXT NOT NULL,
    sort_at INTEGER NOT NULL,
    post_id INTEGER NOT NULL,
    PRIMARY KEY (tag, sort_at, post_id)
) WITHOUT ROWID;
CREATE TABLE post_topics (
    topic   TEXT NOT NULL,
    sort_at INTEGER NOT NULL,
    post_id INTEGER NOT NULL,
    PRIMARY KEY (topic, sort_at, post_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO post_tags (tag, sort_at, post_id)
    SELECT substr(lower(c.value), 1, 200), p.sort_at, p.id FROM posts p, json_each(p.categories) c;
INSERT OR IGNORE INTO post_topics (topic, sort_at, post_id)
    SELECT substr(t.value, 1, 200), p.sort_at, p.id FROM posts p, json_each(p.topics) t;

CREATE TRIGGER read_paths_insert AFTER INSERT ON posts BEGIN
    UPDATE sources SET post_count = post_count + 1, last_post_at = MAX(COALESCE(last_post_at, new.sort_at), new.sort_at)
        WHERE id = new.source_id;
    INSERT OR IGNORE INTO post_tags (tag, sort_at, post_id)
        SELECT substr(lower(value), 1, 200), new.sort_at, new.id FROM json_each(new.categories);
    INSERT OR IGNORE INTO post_topics (topic, sort_at, post_id) SELECT substr(value, 1, 200), new.sort_at, new.id FROM json_each(new.topics);
END;
-- Rows are found by their whole key from the old values, so the tables need no index by post.
CREATE TRIGGER read_paths_delete AFTER DELETE ON posts BEGIN
    UPDATE sources SET post_count = post_count - 1,
        last_post_at = CASE WHEN last_post_at > old.sort_at THEN last_post_at
                            ELSE (SELECT MAX(sort_at) FROM posts WHERE source_id = old.source_id) END
        WHERE id = old.source_id;
    DELETE FROM post_tags WHERE tag IN (SELECT substr(lower(value), 1, 200) FROM json_each(old.categories))
        AND sort_at = old.sort_at AND post_id = old.id;
    DELETE FROM post_topics WHERE topic IN (SELECT substr(value, 1, 200) FROM json_each(old.topics))
        AND sort_at = old.sort_at AND post_id = old.id;
END;
CREATE TRIGGER read_paths_update AFTER UPDATE OF source_id, sort_at, categories, topics ON posts
    WHEN old.source_id IS NOT new.source_id OR old.sort_at IS NOT new.sort_at OR old.categories IS NOT new.categories
         OR old.topics IS NOT new.topics BEGIN
    UPDATE sources SET post_count = post_count - 1 WHERE id = old.source_id AND old.source_id IS NOT new.source_id;
    UPDATE sources SET post_count = post_count + 1 WHERE id = new.source_id AND old.source_id IS NOT new.source_id;
    UPDATE sources SET last_post_at = (SELECT MAX(sort_at) FROM posts WHERE source_id = sources.id)
        WHERE id IN (old.source_id, new.source_id);
    DELETE FROM post_tags WHERE tag IN (SELECT substr(lower(value), 1, 200) FROM json_each(old.categories))
        AND sort_at = old.sort_at AND post_id = old.id;
    DELETE FROM post_topics WHERE topic IN (SELECT substr(value, 1, 200) FROM json_each(old.topics))
        AND sort_at = old.sort_at AND post_id = old.id;
    INSERT OR IGNORE INTO post_tags (tag, sort_at, post_id)
        SELECT substr(lower(value), 1, 200), new.sort_at, new.id FROM json_each(new.categories);
    INSERT OR IGNORE INTO post_topics (topic, sort_at, post_id) SELECT substr(value, 1, 200), new.sort_at, new.id FROM json_each(new.topics);
END;
