-- The curator's scraps: links kept for a month's newsletter, each in a section at a position, with
-- commentary in Markdown and, when it came from moa, the post it refers to.
CREATE TABLE scraps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    month       TEXT NOT NULL,               -- YYYY-MM
    section     TEXT NOT NULL,               -- article | bookmark | news | software | media
    position    INTEGER NOT NULL,            -- 1, 2, … within (month, section)
    title       TEXT NOT NULL,
    url         TEXT NOT NULL,
    commentary  TEXT NOT NULL DEFAULT '',
    post_id     INTEGER REFERENCES posts(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- A link is kept once a month: importing a post twice updates its scraps instead of adding them again.
    UNIQUE (month, url)
);
CREATE INDEX scraps_in_order ON scraps (month, section, position);

-- A month's post settings (front matter), as last chosen.
CREATE TABLE newsletters (
    month                TEXT PRIMARY KEY,
    date                 TEXT,               -- as written in the front matter; NULL: the month's default
    draft                INTEGER NOT NULL DEFAULT 1,
    hidden_from_homepage INTEGER             -- NULL: the line is left out
);
