ALTER TABLE posts ADD COLUMN topics TEXT NOT NULL DEFAULT '[]';

-- The change log the search indexes follow, as in SQLite (one row per post, its latest change), with one
-- difference: transactions commit concurrently here, so a sequence number taken inside one can become
-- visible after a larger one from another, and a reader that went past it would never see it. Each row
-- therefore carries its transaction's id (`tx`), and readers take only rows of transactions older than
-- every one of this database still running (PgStore::change_horizon), in (tx, seq) order: that set never
-- grows behind them.
CREATE TABLE post_changes (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx      BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    post_id BIGINT NOT NULL UNIQUE
);
CREATE INDEX post_changes_in_order ON post_changes (tx, seq);

CREATE FUNCTION moa_log_post_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
BEGIN
    DELETE FROM post_changes WHERE post_id = changed;
    INSERT INTO post_changes (post_id) VALUES (changed);
    RETURN NULL;
END $$;
CREATE TRIGGER post_changes_insert AFTER INSERT ON posts FOR EACH ROW EXECUTE FUNCTION moa_log_post_change();
CREATE TRIGGER post_changes_update AFTER UPDATE OF title, summary, content_html, categories, topics, sort_at,
    duplicate_of, source_id ON posts FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.summary IS DISTINCT FROM NEW.summary
          OR OLD.content_html IS DISTINCT FROM NEW.content_html OR OLD.categories IS DISTINCT FROM NEW.categories
          OR OLD.topics IS DISTINCT FROM NEW.topics OR OLD.sort_at IS DISTINCT FROM NEW.sort_at
          OR OLD.duplicate_of IS DISTINCT FROM NEW.duplicate_of OR OLD.source_id IS DISTINCT FROM NEW.source_id)
    EXECUTE FUNCTION moa_log_post_change();
CREATE TRIGGER post_changes_delete AFTER DELETE ON posts FOR EACH ROW EXECUTE FUNCTION moa_log_post_change();

CREATE FUNCTION moa_log_source_rename() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM post_changes WHERE post_id IN (SELECT id FROM posts WHERE source_id = NEW.id);
    INSERT INTO post_changes (post_id) SELECT id FROM posts WHERE source_id = NEW.id ORDER BY id;
    RETURN NULL;
END $$;
CREATE TRIGGER post_changes_source AFTER UPDATE OF name_ko, name_en ON sources FOR EACH ROW
    WHEN (OLD.name_ko IS DISTINCT FROM NEW.name_ko OR OLD.name_en IS DISTINCT FROM NEW.name_en)
    EXECUTE FUNCTION moa_log_source_rename();
INSERT INTO post_changes (post_id) SELECT id FROM posts ORDER BY id;
