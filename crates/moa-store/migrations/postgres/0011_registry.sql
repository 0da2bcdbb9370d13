-- Which registry the database follows ("builtin", or the path of the operator's CSV/OPML), so that a
-- command run without --sources keeps the operator's list instead of syncing the built-in one.
CREATE TABLE store_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
