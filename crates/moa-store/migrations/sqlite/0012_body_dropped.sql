-- When retention dropped a post's body (NULL: never, or the feed sent it again since). A rebuild keeps the
-- topics such a post has: the body they came from is gone. A post that never had a body is retagged as usual.
ALTER TABLE posts ADD COLUMN body_dropped_at INTEGER;
