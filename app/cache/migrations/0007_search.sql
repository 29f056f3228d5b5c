-- Search over every cached message and the names of the files it shares,
-- with accents ignored ("cafe" finds "café"). It replaces the first index,
-- which held the text alone, accents kept.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;

-- What the index reads of a message: its text and its files' names, one a
-- line. A view, so the index keeps no copy of the text (snippets read it
-- from here). A message carries at most 10 files (backend.MaxFilesPerMessage);
-- json_each would read them all, but SQLite does not allow it in the
-- triggers below.
--
-- tags lets the index itself keep the filters, so a filtered search walks
-- only the messages that pass them: "c<id>" names the conversation, and
-- "hasfiles" marks a message that shares files. Searches look for the
-- words typed in text and file_names only.
CREATE VIEW message_search_content AS
SELECT id, text,
       concat_ws(char(10),
                 json_extract(files, '$[0].name'),
                 json_extract(files, '$[1].name'),
                 json_extract(files, '$[2].name'),
                 json_extract(files, '$[3].name'),
                 json_extract(files, '$[4].name'),
                 json_extract(files, '$[5].name'),
                 json_extract(files, '$[6].name'),
                 json_extract(files, '$[7].name'),
                 json_extract(files, '$[8].name'),
                 json_extract(files, '$[9].name')) AS file_names,
       'c' || conversation_id || iif(files <> '[]', ' hasfiles', '') AS tags
FROM messages;

-- The prefix indexes make words being typed ("boi" for "boiler") quick to
-- look up in a large cache.
CREATE VIRTUAL TABLE message_search USING fts5 (
    text, file_names, tags,
    content = 'message_search_content', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- The index follows the messages. An external-content index must be told
-- what it held when a row goes, so the old values are taken before it goes.
CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (rowid, text, file_names, tags)
    SELECT id, text, file_names, tags FROM message_search_content WHERE id = new.id;
END;
CREATE TRIGGER message_search_delete BEFORE DELETE ON messages BEGIN
    INSERT INTO message_search (message_search, rowid, text, file_names, tags)
    SELECT 'delete', id, text, file_names, tags FROM message_search_content WHERE id = old.id;
END;
CREATE TRIGGER message_search_update_before BEFORE UPDATE OF text, files ON messages BEGIN
    INSERT INTO message_search (message_search, rowid, text, file_names, tags)
    SELECT 'delete', id, text, file_names, tags FROM message_search_content WHERE id = old.id;
END;
CREATE TRIGGER message_search_update_after AFTER UPDATE OF text, files ON messages BEGIN
    INSERT INTO message_search (rowid, text, file_names, tags)
    SELECT id, text, file_names, tags FROM message_search_content WHERE id = new.id;
END;

-- A date range becomes a range of ids (the server's ids grow with time),
-- which the index seeks to.
CREATE INDEX messages_created ON messages (created_at);

-- The messages already cached.
INSERT INTO message_search (message_search) VALUES ('rebuild');

-- How far the background fill has loaded each conversation's history:
-- every message from seq `below` up to the conversation's last one (when
-- it was recorded) is cached, so a restart goes on below it.
CREATE TABLE history_fill (
    conversation_id INTEGER PRIMARY KEY,
    below           INTEGER NOT NULL
) STRICT;
