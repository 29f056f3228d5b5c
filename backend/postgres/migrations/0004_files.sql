-- Uploaded files kept in the database, so every server node reads them
-- (see files.go): each file is a row of file_blobs and its bytes are
-- fixed-size chunks in file_chunks, keyed by the file's storage name and
-- the chunk's number. A resumable upload under way is a row of
-- upload_partials and its chunks so far, keyed by its id; when its last
-- byte arrives, its chunks are renamed to the new file's storage name.
CREATE TABLE file_blobs (
    storage_name text PRIMARY KEY,
    size         bigint NOT NULL,
    sha256       text NOT NULL,
    content_type text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE file_chunks (
    name text NOT NULL,
    n    integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (name, n)
);
-- Out of line and uncompressed: uploads are mostly compressed already
-- (photos, PDFs), and compressing them again only costs time.
ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE upload_partials (
    id         text PRIMARY KEY,
    owner      text NOT NULL,
    name       text NOT NULL,
    size       bigint NOT NULL,
    sha256     text NOT NULL,
    created_at timestamptz NOT NULL,
    -- received is the offset: how many bytes the chunks hold.
    received   bigint NOT NULL DEFAULT 0
);
CREATE INDEX upload_partials_created ON upload_partials (created_at);
