-- Times kept to the nanosecond where a hash or a signature covers them.
-- timestamptz holds microseconds, and this store rounds its own clock to
-- them, so what it returns is what it stored. A database moved here from
-- the SQLite store (doorstep-server move-to-postgres) brings times with
-- nanoseconds, and two of them are covered: a message's time by its chain
-- hash, and a signed head's time by its signature. Each keeps the
-- nanoseconds beyond its microsecond here (0 to 999; 0 for everything
-- stored on PostgreSQL), so that a moved history still matches its chain
-- and its signatures.
ALTER TABLE messages ADD COLUMN created_ns smallint NOT NULL DEFAULT 0 CHECK (created_ns BETWEEN 0 AND 999);
ALTER TABLE chain_signatures ADD COLUMN signed_ns smallint NOT NULL DEFAULT 0 CHECK (signed_ns BETWEEN 0 AND 999);
