-- Whether the home page's company list changed since a process last read it, answered without reading
-- it, as in SQLite: each source's `revision` grows whenever what the list shows of it changes (set before
-- the row is written, in the writer's own row lock: no row every crawler would queue on), and
-- `source_set.epoch` whenever a source is added or deleted (rare: the registry and the console).
ALTER TABLE sources ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE TABLE source_set (epoch BIGINT NOT NULL);
INSERT INTO source_set (epoch) VALUES (0);

CREATE FUNCTION moa_sources_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.id, OLD.name_ko, OLD.name_en, OLD.homepage, OLD.enabled, OLD.origin, OLD.post_count, OLD.last_post_at)
       IS DISTINCT FROM
       (NEW.id, NEW.name_ko, NEW.name_en, NEW.homepage, NEW.enabled, NEW.origin, NEW.post_count, NEW.last_post_at) THEN
        NEW.revision := OLD.revision + 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sources_revision BEFORE UPDATE ON sources FOR EACH ROW EXECUTE FUNCTION moa_sources_revision();

CREATE FUNCTION moa_source_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE source_set SET epoch = epoch + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER sources_added AFTER INSERT ON sources FOR EACH ROW EXECUTE FUNCTION moa_source_set();
CREATE TRIGGER sources_deleted AFTER DELETE ON sources FOR EACH ROW EXECUTE FUNCTION moa_source_set();
