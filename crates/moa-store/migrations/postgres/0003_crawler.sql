ALTER TABLE sources ADD COLUMN next_check_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN check_interval BIGINT;
ALTER TABLE sources ADD COLUMN last_error_kind TEXT;
ALTER TABLE sources ADD COLUMN disabled_reason TEXT;
ALTER TABLE sources ADD COLUMN redirect_candidate TEXT;
ALTER TABLE sources ADD COLUMN moved_to TEXT;
ALTER TABLE sources ADD COLUMN user_agent TEXT;

CREATE INDEX sources_due ON sources (enabled, next_check_at);

ALTER TABLE posts ADD COLUMN url_key TEXT;
ALTER TABLE posts ADD COLUMN title_key TEXT;
ALTER TABLE posts ADD COLUMN duplicate_of BIGINT REFERENCES posts(id);
ALTER TABLE posts ADD COLUMN page_checked BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX posts_by_url_key ON posts (url_key) WHERE url_key IS NOT NULL;
CREATE INDEX posts_by_title_key ON posts (title_key, sort_at) WHERE title_key IS NOT NULL;
-- SQLite finds the copies of a post through its rowid scan; PostgreSQL needs the index.
CREATE INDEX posts_by_duplicate_of ON posts (duplicate_of) WHERE duplicate_of IS NOT NULL;

CREATE TABLE tombstones (
    source_id  TEXT NOT NULL,
    entry_id   TEXT NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (source_id, entry_id)
);

CREATE TABLE websub (
    source_id        TEXT PRIMARY KEY REFERENCES sources(id),
    hub              TEXT NOT NULL,
    topic            TEXT NOT NULL,
    secret           TEXT NOT NULL,
    state            TEXT NOT NULL,
    lease_expires_at BIGINT,
    requested_at     BIGINT NOT NULL
);
