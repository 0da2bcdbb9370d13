-- Outbound clicks (/go/ID): a count per post for the popular list, and the last counted click of each
-- (post, client) so a repeat within a short window is not counted again.
ALTER TABLE posts ADD COLUMN clicks INTEGER NOT NULL DEFAULT 0;
CREATE TABLE clicks (
    post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    client     TEXT NOT NULL,
    counted_at INTEGER NOT NULL,
    PRIMARY KEY (post_id, client)
) WITHOUT ROWID;
CREATE INDEX posts_clicked ON posts (sort_at) WHERE clicks > 0;
