-- The operator's console. Sources an operator adds have origin 'operator' (the registry never touches
-- them); 'removed' sources keep their posts but are neither crawled nor listed. A source of kind 'html'
-- is a page read with CSS selectors (JSON in `selectors`) instead of a feed.
ALTER TABLE sources ADD COLUMN kind TEXT NOT NULL DEFAULT 'feed';
ALTER TABLE sources ADD COLUMN selectors TEXT;
-- Health: since when the source fails (NULL while it works), and running totals of its fetches.
ALTER TABLE sources ADD COLUMN failing_since INTEGER;
ALTER TABLE sources ADD COLUMN attempt_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN fetch_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN not_modified_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN fetch_ms_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN fetch_bytes_total INTEGER NOT NULL DEFAULT 0;
UPDATE sources SET failing_since = last_attempt_at WHERE consecutive_failures > 0;

-- Roles: 'curator' (scraps, newsletter) or 'operator' (also sources, users, settings).
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'curator';

-- What operators did, newest last.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''
);
