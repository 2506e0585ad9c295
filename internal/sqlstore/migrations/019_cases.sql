-- Review cases of platforms (issue 13). Portable SQL for SQLite and
-- PostgreSQL. Times are Unix microseconds. A case belongs to its org only:
-- no sharing columns, the org is the only reader.

CREATE TABLE cases (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL REFERENCES orgs(id),
	-- The platform's identifier or URL of the content; '' once erased.
	content_ref    TEXT NOT NULL,
	content_type   TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL,
	assigned_to    TEXT NOT NULL DEFAULT '',
	decision       TEXT NOT NULL DEFAULT '',
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL,
	decided_at     BIGINT,
	preserve_until BIGINT,
	legal_hold     BOOLEAN NOT NULL DEFAULT FALSE,
	reminded_at    BIGINT,
	ref_erased_at  BIGINT
);
-- One case per content reference of an org (erased references excepted).
CREATE UNIQUE INDEX cases_ref ON cases(org_id, content_ref) WHERE content_ref <> '';
CREATE INDEX cases_org ON cases(org_id, id);
CREATE INDEX cases_due ON cases(status, ref_erased_at, decided_at);

CREATE TABLE case_matches (
	case_id    TEXT NOT NULL REFERENCES cases(id),
	signal_id  TEXT NOT NULL,
	type       TEXT NOT NULL,
	distance   INTEGER NOT NULL,
	matched_at BIGINT NOT NULL,
	verdict    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (case_id, signal_id)
);

CREATE TABLE case_decisions (
	id            TEXT PRIMARY KEY,
	case_id       TEXT NOT NULL REFERENCES cases(id),
	decision      TEXT NOT NULL,
	policy_clause TEXT NOT NULL DEFAULT '',
	note          TEXT NOT NULL DEFAULT '',
	reviewer_id   TEXT NOT NULL,
	distance      INTEGER NOT NULL,
	verdict       TEXT NOT NULL DEFAULT '',
	decided_at    BIGINT NOT NULL,
	-- The statement of reasons as JSON, '' for keep and escalate.
	statement     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_decisions_case ON case_decisions(case_id, decided_at);

CREATE TABLE case_history (
	case_id TEXT NOT NULL REFERENCES cases(id),
	seq     BIGINT NOT NULL,
	time    BIGINT NOT NULL,
	type    TEXT NOT NULL,
	actor   TEXT NOT NULL DEFAULT '',
	note    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (case_id, seq)
);
