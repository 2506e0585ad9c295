-- Designated entities (groups and individuals) and their list memberships,
-- with the state of list imports. Portable SQL for SQLite and PostgreSQL.

CREATE TABLE entities (
	id            TEXT PRIMARY KEY,
	-- The source record an imported entity mirrors ("UN:" + DATAID); NULL
	-- for entities staff created by hand. Several NULLs may coexist.
	external_key  TEXT UNIQUE,
	kind          TEXT NOT NULL,
	name          TEXT NOT NULL,
	original_name TEXT NOT NULL DEFAULT '',
	aliases       TEXT NOT NULL DEFAULT '[]',
	ideology      TEXT NOT NULL DEFAULT '',
	notes         TEXT NOT NULL DEFAULT '',
	comments      TEXT NOT NULL DEFAULT '',
	nationalities TEXT NOT NULL DEFAULT '[]',
	-- Lower-cased name, original-script name and aliases, one a line: what
	-- the simple q filter searches until name folding replaces it.
	search_text   TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);

-- One row per entity and list; dates are YYYY-MM-DD text as published,
-- delisted_on '' while listed.
CREATE TABLE entity_lists (
	entity_id        TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
	list             TEXT NOT NULL,
	regime           TEXT NOT NULL DEFAULT '',
	reference_number TEXT NOT NULL DEFAULT '',
	listed_on        TEXT NOT NULL DEFAULT '',
	delisted_on      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (entity_id, list)
);
CREATE INDEX entity_lists_reference ON entity_lists(reference_number);
CREATE INDEX entity_lists_regime ON entity_lists(regime, entity_id);

-- The last import of each source, so that an older file is refused.
CREATE TABLE list_imports (
	source       TEXT PRIMARY KEY,
	generated_at BIGINT NOT NULL,
	imported_at  BIGINT NOT NULL
);
