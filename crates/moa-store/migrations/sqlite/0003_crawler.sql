-- Scheduling: when each source is next due (written before its fetch starts) and the interval chosen.
ALTER TABLE sources ADD COLUMN next_check_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN check_interval INTEGER;
-- Health: the kind of the last error (timeout, dns, tls, http_status, not_a_feed, parse, blocked, ...).
ALTER TABLE sources ADD COLUMN last_error_kind TEXT;
-- Why a source is disabled: gone (410), removed from the registry, or an operator's choice.
ALTER TABLE sources ADD COLUMN disabled_reason TEXT;
-- A permanent redirect seen on the last fetch; seen again on the next one, it becomes moved_to, the URL
-- fetched from then on. feed_url stays what the registry says, so a registry change still wins.
ALTER TABLE sources ADD COLUMN redirect_candidate TEXT;
ALTER TABLE sources ADD COLUMN moved_to TEXT;
-- A User-Agent for this source only (some hosts block unknown agents).
ALTER TABLE sources ADD COLUMN user_agent TEXT;

CREATE INDEX sources_due ON sources (enabled, next_check_at);

-- Cross-feed duplicates: the same article reached through two feeds is shown once, as its first copy.
ALTER TABLE posts ADD COLUMN url_key TEXT;
ALTER TABLE posts ADD COLUMN title_key TEXT;
ALTER TABLE posts ADD COLUMN duplicate_of INTEGER REFERENCES posts(id);
-- Whether the article page was read for an og:image (at most once per post).
ALTER TABLE posts ADD COLUMN page_checked INTEGER NOT NULL DEFAULT 0;
CREATE INDEX posts_by_url_key ON posts (url_key) WHERE url_key IS NOT NULL;
CREATE INDEX posts_by_title_key ON posts (title_key, sort_at) WHERE title_key IS NOT NULL;

-- Posts an operator deleted: the crawler never stores them again.
CREATE TABLE tombstones (
    source_id  TEXT NOT NULL,
    entry_id   TEXT NOT NULL,
    deleted_at INTEGER NOT NULL,
    PRIMARY KEY (source_id, entry_id)
);

-- WebSub subscriptions, one per source.
CREATE TABLE websub (
    source_id        TEXT PRIMARY KEY REFERENCES sources(id),
    hub              TEXT NOT NULL,
    topic            TEXT NOT NULL,
    secret           TEXT NOT NULL,
    -- pending (asked, not verified), active (verified), denied (the hub refused).
    state            TEXT NOT NULL,
    lease_expires_at INTEGER,
    requested_at     INTEGER NOT NULL
);
