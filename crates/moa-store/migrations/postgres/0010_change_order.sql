-- The change log in commit order. Until now readers took only rows of transactions older than every one
-- still running (the snapshot's xmin). But xmin is the whole server's: any long transaction on it (a pg_dump,
-- another application's idle session, work in another database) held every search index back for as long
-- as it stayed open. Now each transaction stamps its rows as it commits, one committer at a time: a deferred
-- trigger takes a transaction-scoped advisory lock, which is let go only after the commit is visible, and
-- takes the stamp from a sequence under it. Stamps therefore grow in commit order, the committed rows are
-- always a prefix of (tx, seq) order, and readers need no filter. The lock is held for the end of a commit
-- only, so writers still run side by side.

-- Writers still running have written rows; wait for them, so the stamps start after every tx written so far.
LOCK TABLE post_changes IN SHARE ROW EXCLUSIVE MODE;
CREATE SEQUENCE post_change_commits;
SELECT setval('post_change_commits',
              GREATEST((SELECT MAX(tx) FROM post_changes), pg_current_xact_id()::text::bigint, 1));

CREATE FUNCTION moa_stamp_post_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stamp BIGINT := NULLIF(current_setting('moa.change_stamp', true), '')::bigint;
BEGIN
    IF stamp IS NULL THEN
        -- 0x6d6f6104: moa's change-log lock (the other keys are in postgres.rs).
        PERFORM pg_advisory_xact_lock(1836015876);
        stamp := nextval('post_change_commits');
        PERFORM set_config('moa.change_stamp', stamp::text, true);
    END IF;
    UPDATE post_changes SET tx = stamp WHERE seq = NEW.seq;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER post_changes_stamp AFTER INSERT ON post_changes DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION moa_stamp_post_change();
