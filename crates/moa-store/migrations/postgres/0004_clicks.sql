ALTER TABLE posts ADD COLUMN clicks BIGINT NOT NULL DEFAULT 0;
CREATE TABLE clicks (
    post_id    BIGINT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    client     TEXT NOT NULL,
    counted_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, client)
);
CREATE INDEX posts_clicked ON posts (sort_at) WHERE clicks > 0;
