CREATE TABLE sources (
    id                   TEXT PRIMARY KEY,
    name_ko              TEXT NOT NULL,
    name_en              TEXT NOT NULL,
    homepage             TEXT NOT NULL,
    feed_url             TEXT NOT NULL,
    platform             TEXT NOT NULL DEFAULT '',
    -- 'registry' rows follow the registry file; later, operators add their own.
    origin               TEXT NOT NULL DEFAULT 'registry',
    enabled              INTEGER NOT NULL DEFAULT 1,
    last_attempt_at      INTEGER,
    last_success_at      INTEGER,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL
);

CREATE TABLE posts (
    -- AUTOINCREMENT: ids are never reused, so links and cursors that name a post stay valid.
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id     TEXT NOT NULL REFERENCES sources(id),
    entry_id      TEXT NOT NULL,
    url           TEXT,
    title         TEXT NOT NULL,
    summary       TEXT,
    content_html  TEXT,
    author        TEXT,
    thumbnail     TEXT,
    categories    TEXT NOT NULL DEFAULT '[]',
    published_at  INTEGER,
    updated_at    INTEGER,
    first_seen_at INTEGER NOT NULL,
    -- What the lists sort by: published, else updated, else first seen. Unix seconds.
    sort_at       INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    UNIQUE (source_id, entry_id)
);

CREATE INDEX posts_by_time ON posts (sort_at DESC, id DESC);
CREATE INDEX posts_by_source_time ON posts (source_id, sort_at DESC, id DESC);
