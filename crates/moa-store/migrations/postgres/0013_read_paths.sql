-- What the readers' lists need, kept by triggers in the transaction that writes posts, as in SQLite: per
-- source its posts' count and newest date, and a row per tag and per topic of each post in list order.
-- A label keeps its first 200 characters (an index entry holds at most 2,704 bytes; the query compares a
-- longer one whole). Here the triggers run once per statement over its transition tables, so a fetch's multi-row upsert
-- updates its source's row once, not once per post.
ALTER TABLE sources ADD COLUMN post_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN last_post_at BIGINT;
UPDATE sources SET post_count = c.n, last_post_at = c.last
    FROM (SELECT source_id, COUNT(*) AS n, MAX(sort_at) AS last FROM posts GROUP BY source_id) c
    WHERE sources.id = c.source_id;

CREATE TABLE post_tags (
    tag     TEXT NOT NULL,
    sort_at BIGINT NOT NULL,
    post_id BIGINT NOT NULL,
    PRIMARY KEY (tag, sort_at, post_id)
);
CREATE TABLE post_topics (
    topic   TEXT NOT NULL,
    sort_at BIGINT NOT NULL,
    post_id BIGINT NOT NULL,
    PRIMARY KEY (topic, sort_at, post_id)
);
INSERT INTO post_tags (tag, sort_at, post_id)
    SELECT substr(lower(c), 1, 200), p.sort_at, p.id FROM posts p, jsonb_array_elements_text(p.categories::jsonb) c
    ON CONFLICT DO NOTHING;
INSERT INTO post_topics (topic, sort_at, post_id)
    SELECT substr(t, 1, 200), p.sort_at, p.id FROM posts p, jsonb_array_elements_text(p.topics::jsonb) t
    ON CONFLICT DO NOTHING;

CREATE FUNCTION moa_read_paths_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sources s SET post_count = s.post_count + n.n, last_post_at = GREATEST(s.last_post_at, n.last)
        FROM (SELECT source_id, COUNT(*) AS n, MAX(sort_at) AS last FROM new_rows GROUP BY source_id) n
        WHERE s.id = n.source_id;
    INSERT INTO post_tags (tag, sort_at, post_id)
        SELECT substr(lower(c), 1, 200), p.sort_at, p.id FROM new_rows p, jsonb_array_elements_text(p.categories::jsonb) c
        ON CONFLICT DO NOTHING;
    INSERT INTO post_topics (topic, sort_at, post_id)
        SELECT substr(t, 1, 200), p.sort_at, p.id FROM new_rows p, jsonb_array_elements_text(p.topics::jsonb) t
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION moa_read_paths_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sources s SET post_count = s.post_count - d.n,
        last_post_at = CASE WHEN s.last_post_at > d.last THEN s.last_post_at
                            ELSE (SELECT MAX(sort_at) FROM posts WHERE source_id = s.id) END
        FROM (SELECT source_id, COUNT(*) AS n, MAX(sort_at) AS last FROM old_rows GROUP BY source_id) d
        WHERE s.id = d.source_id;
    DELETE FROM post_tags t USING old_rows p, jsonb_array_elements_text(p.categories::jsonb) c
        WHERE t.tag = substr(lower(c), 1, 200) AND t.sort_at = p.sort_at AND t.post_id = p.id;
    DELETE FROM post_topics t USING old_rows p, jsonb_array_elements_text(p.topics::jsonb) c
        WHERE t.topic = substr(c, 1, 200) AND t.sort_at = p.sort_at AND t.post_id = p.id;
    RETURN NULL;
END $$;

-- Transition tables cannot go with a column list, so this runs for every UPDATE of posts (a click's too)
-- and picks the rows whose source, date, categories or topics changed.
CREATE FUNCTION moa_read_paths_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                   WHERE (o.source_id, o.sort_at, o.categories, o.topics)
                         IS DISTINCT FROM (n.source_id, n.sort_at, n.categories, n.topics)) THEN
        RETURN NULL;
    END IF;
    UPDATE sources s SET post_count = s.post_count + m.n
        FROM (SELECT source_id, SUM(n) AS n FROM (
                SELECT n.source_id, 1 AS n FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.source_id <> n.source_id
                UNION ALL
                SELECT o.source_id, -1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.source_id <> n.source_id
              ) moved GROUP BY source_id) m
        WHERE s.id = m.source_id;
    -- The newest date from the source's row as it is when its lock is held (a concurrent writer's newer
    -- post stays counted), recounted only when the newest post itself moved back or away.
    WITH moved AS (
        SELECT o.source_id AS old_source, n.source_id AS new_source, o.sort_at AS old_sort, n.sort_at AS new_sort
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.source_id, o.sort_at) IS DISTINCT FROM (n.source_id, n.sort_at)
    ), per_source AS (
        SELECT source_id, MAX(old_sort) AS old_max, MAX(new_sort) AS new_max FROM (
            SELECT old_source AS source_id, old_sort, NULL::bigint AS new_sort FROM moved
            UNION ALL
            SELECT new_source, NULL::bigint, new_sort FROM moved
        ) m GROUP BY source_id
    )
    UPDATE sources s SET last_post_at = CASE
            WHEN m.old_max IS NULL OR s.last_post_at > m.old_max THEN GREATEST(s.last_post_at, m.new_max)
            ELSE GREATEST((SELECT MAX(sort_at) FROM posts WHERE source_id = s.id), m.new_max) END
        FROM per_source m WHERE s.id = m.source_id;
    DELETE FROM post_tags t USING old_rows p JOIN new_rows n ON n.id = p.id, jsonb_array_elements_text(p.categories::jsonb) c
        WHERE (p.sort_at, p.categories) IS DISTINCT FROM (n.sort_at, n.categories)
          AND t.tag = substr(lower(c), 1, 200) AND t.sort_at = p.sort_at AND t.post_id = p.id;
    INSERT INTO post_tags (tag, sort_at, post_id)
        SELECT substr(lower(c), 1, 200), n.sort_at, n.id
        FROM old_rows p JOIN new_rows n ON n.id = p.id, jsonb_array_elements_text(n.categories::jsonb) c
        WHERE (p.sort_at, p.categories) IS DISTINCT FROM (n.sort_at, n.categories)
        ON CONFLICT DO NOTHING;
    DELETE FROM post_topics t USING old_rows p JOIN new_rows n ON n.id = p.id, jsonb_array_elements_text(p.topics::jsonb) c
        WHERE (p.sort_at, p.topics) IS DISTINCT FROM (n.sort_at, n.topics)
          AND t.topic = substr(c, 1, 200) AND t.sort_at = p.sort_at AND t.post_id = p.id;
    INSERT INTO post_topics (topic, sort_at, post_id)
        SELECT substr(c, 1, 200), n.sort_at, n.id
        FROM old_rows p JOIN new_rows n ON n.id = p.id, jsonb_array_elements_text(n.topics::jsonb) c
        WHERE (p.sort_at, p.topics) IS DISTINCT FROM (n.sort_at, n.topics)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER read_paths_insert AFTER INSERT ON posts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION moa_read_paths_insert();
CREATE TRIGGER read_paths_delete AFTER DELETE ON posts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION moa_read_paths_delete();
CREATE TRIGGER read_paths_update AFTER UPDATE ON posts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION moa_read_paths_update();
