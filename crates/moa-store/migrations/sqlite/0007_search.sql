-- Topic tags from moa's tagger (slugs, a JSON array), beside the feed's own categories.
ALTER TABLE posts ADD COLUMN topics TEXT NOT NULL DEFAULT '[]';

-- The search index follows the store through this log: every post written, edited or deleted gets the
-- next sequence number (one row per post, its latest change; a trigger's OR REPLACE would yield to the upsert's own
-- conflict clause, hence DELETE then INSERT), and an index that has applied the changes
-- up to N catches up by reading those after N. Triggers keep it, so no write path can forget to.
CREATE TABLE post_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id INTEGER NOT NULL UNIQUE
);
CREATE TRIGGER post_changes_insert AFTER INSERT ON posts BEGIN
    DELETE FROM post_changes WHERE post_id = new.id;
    INSERT INTO post_changes (post_id) VALUES (new.id);
END;
CREATE TRIGGER post_changes_update AFTER UPDATE OF title, summary, content_html, categories, topics, sort_at,
    duplicate_of, source_id ON posts BEGIN
    DELETE FROM post_changes WHERE post_id = new.id;
    INSERT INTO post_changes (post_id) VALUES (new.id);
END;
CREATE TRIGGER post_changes_delete AFTER DELETE ON posts BEGIN
    DELETE FROM post_changes WHERE post_id = old.id;
    INSERT INTO post_changes (post_id) VALUES (old.id);
END;
-- The company's names are indexed with each of its posts.
CREATE TRIGGER post_changes_source AFTER UPDATE OF name_ko, name_en ON sources
    WHEN old.name_ko IS NOT new.name_ko OR old.name_en IS NOT new.name_en BEGIN
    DELETE FROM post_changes WHERE post_id IN (SELECT id FROM posts WHERE source_id = new.id);
    INSERT INTO post_changes (post_id) SELECT id FROM posts WHERE source_id = new.id;
END;
INSERT INTO post_changes (post_id) SELECT id FROM posts ORDER BY id;
