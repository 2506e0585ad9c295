-- The incident protocol: incidents shared like any item (owner_org_id,
-- distribution, audience rows keyed by id), their timeline, and an index
-- to find the signals shared under an incident when it closes.

CREATE TABLE incidents (
	id              TEXT PRIMARY KEY,
	type            TEXT NOT NULL,
	title           TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	criteria        TEXT NOT NULL DEFAULT '[]',
	owner_org_id    TEXT NOT NULL,
	distribution    TEXT NOT NULL,
	tlp             TEXT NOT NULL,
	status          TEXT NOT NULL,
	created_by      TEXT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	-- Who asked to activate the draft, and who confirmed; identities are
	-- "user:<id>" (or the CLI's name), so two requests by one person match.
	requested_by    TEXT NOT NULL DEFAULT '',
	requested_at    BIGINT,
	activated_by    TEXT NOT NULL DEFAULT '',
	activated_at    BIGINT,
	confirmed_by    TEXT NOT NULL DEFAULT '',
	confirmed_at    BIGINT,
	emergency       BOOLEAN NOT NULL DEFAULT FALSE,
	end_criteria    TEXT NOT NULL DEFAULT '',
	debrief         TEXT NOT NULL DEFAULT '',
	closed_by       TEXT NOT NULL DEFAULT '',
	closed_at       BIGINT,
	public_summary  TEXT NOT NULL DEFAULT ''
);
-- The banner of every page asks for the active incidents.
CREATE INDEX incidents_status ON incidents(status, id);

CREATE TABLE incident_updates (
	id          TEXT PRIMARY KEY,
	incident_id TEXT NOT NULL REFERENCES incidents(id),
	author      TEXT NOT NULL,
	body        TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates(incident_id, id);

CREATE INDEX submissions_incident ON submissions(incident_id) WHERE incident_id <> '';
