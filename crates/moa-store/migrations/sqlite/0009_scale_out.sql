-- Failed sign-ins per key (client address or user name), counted in the database so every web process
-- sees the same counts.
CREATE TABLE sign_in_failures (
    key      TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    since    BIGINT NOT NULL
);
