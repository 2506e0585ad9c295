-- The bank list's search by value prefix compares bytes (COLLATE "C"): in
-- the database's collation a range of values need not be a prefix (glibc
-- collations skip punctuation, which URLs are full of). UNIQUE (type,
-- value) orders by that collation, so the search needs its own index.
-- SQLite compares bytes already and searches UNIQUE (type, value).
CREATE INDEX signals_value_bytes ON signals (type, value COLLATE "C");
