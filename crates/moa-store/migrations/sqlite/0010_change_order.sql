-- PostgreSQL's 0010 puts its change log in commit order. SQLite commits one writer at a time, so its
-- sequence numbers are in commit order already: nothing to change, the version is kept in step.
SELECT 1;
