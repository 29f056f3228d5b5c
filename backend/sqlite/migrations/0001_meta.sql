-- Facts about this database itself. server_id is made once and never changes:
-- clients key their local caches by it.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

INSERT INTO meta (key, value) VALUES ('server_id', lower(hex(randomblob(16))));
