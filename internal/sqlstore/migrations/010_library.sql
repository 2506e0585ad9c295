-- The knowledge library: resources and every revision of them. Portable SQL
-- for SQLite and PostgreSQL; full-text search tables come with the search.

CREATE TABLE resources (
	id            TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	title         TEXT NOT NULL,
	summary       TEXT NOT NULL DEFAULT '',
	body          TEXT NOT NULL DEFAULT '',
	-- JSON arrays of strings, plus one-a-line copies (with a line break at
	-- each end) so that a tag filter is a plain LIKE on one column.
	tags          TEXT NOT NULL DEFAULT '[]',
	jurisdictions TEXT NOT NULL DEFAULT '[]',
	tag_lines     TEXT NOT NULL DEFAULT '',
	jur_lines     TEXT NOT NULL DEFAULT '',
	language      TEXT NOT NULL DEFAULT 'en',
	owner_org_id  TEXT NOT NULL REFERENCES orgs(id),
	distribution  TEXT NOT NULL,
	tlp           TEXT NOT NULL,
	revision      INTEGER NOT NULL DEFAULT 1,
	author_id     TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE INDEX resources_updated ON resources(updated_at, id);
CREATE INDEX resources_kind ON resources(kind, updated_at);

-- Every saved state of a resource; revision 1 is the resource as created.
CREATE TABLE resource_revisions (
	resource_id   TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
	number        INTEGER NOT NULL,
	author_id     TEXT NOT NULL DEFAULT '',
	author_name   TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	kind          TEXT NOT NULL,
	title         TEXT NOT NULL,
	summary       TEXT NOT NULL DEFAULT '',
	body          TEXT NOT NULL DEFAULT '',
	tags          TEXT NOT NULL DEFAULT '[]',
	jurisdictions TEXT NOT NULL DEFAULT '[]',
	language      TEXT NOT NULL DEFAULT 'en',
	PRIMARY KEY (resource_id, number)
);
