-- The shared hash bank. One signal per (type, value); one submission per org.
CREATE TABLE signals (
	id                TEXT PRIMARY KEY,
	type              TEXT NOT NULL,
	value             TEXT NOT NULL,
	created_at        BIGINT NOT NULL,
	resolution        TEXT NOT NULL DEFAULT '',
	resolution_reason TEXT NOT NULL DEFAULT '',
	resolved_at       BIGINT,
	resolved_labels   TEXT NOT NULL DEFAULT '[]',
	-- status is the global status (active, disputed, retracted), kept in
	-- step with submissions, feedback and resolutions for filtering.
	status            TEXT NOT NULL DEFAULT 'active',
	UNIQUE (type, value)
);

-- change_seq is the commit-ordered position of the submission's latest
-- change (the "changes" counter); the feed reads submissions by it, so each
-- change is one row. owner_org_id mirrors org_id for the sharing rule in SQL.
CREATE TABLE submissions (
	id             TEXT PRIMARY KEY,
	signal_id      TEXT NOT NULL REFERENCES signals(id),
	org_id         TEXT NOT NULL REFERENCES orgs(id),
	owner_org_id   TEXT NOT NULL,
	distribution   TEXT NOT NULL,
	tlp            TEXT NOT NULL,
	quality        INTEGER,
	content_type   TEXT NOT NULL,
	labels         TEXT NOT NULL,
	basis          TEXT NOT NULL,
	entity_id      TEXT NOT NULL DEFAULT '',
	incident_id    TEXT NOT NULL DEFAULT '',
	basis_reason   TEXT NOT NULL DEFAULT '',
	severity       TEXT NOT NULL,
	flags          TEXT NOT NULL,
	policy_version TEXT NOT NULL,
	digest         TEXT NOT NULL,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL,
	retracted_at   BIGINT,
	change_seq     BIGINT NOT NULL,
	UNIQUE (signal_id, org_id)
);
CREATE INDEX submissions_change ON submissions(change_seq);
CREATE INDEX submissions_org ON submissions(org_id);

-- Tombstones: a change that took a signal away from those who could see it
-- (retraction, narrowed distribution). Each row keeps the sharing of what
-- was taken away, so that exactly its former viewers are told.
CREATE TABLE signal_tombstones (
	seq          BIGINT PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	signal_id    TEXT NOT NULL,
	owner_org_id TEXT NOT NULL,
	distribution TEXT NOT NULL,
	tlp          TEXT NOT NULL,
	reason       TEXT NOT NULL,
	created_at   BIGINT NOT NULL
);
CREATE INDEX signal_tombstones_created ON signal_tombstones(created_at);

CREATE TABLE feedback (
	signal_id  TEXT NOT NULL REFERENCES signals(id),
	org_id     TEXT NOT NULL REFERENCES orgs(id),
	verdict    TEXT NOT NULL,
	comment    TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (signal_id, org_id)
);

-- Every verdict and resolution ever given: the dispute history.
CREATE TABLE feedback_log (
	id         TEXT PRIMARY KEY,
	signal_id  TEXT NOT NULL,
	org_id     TEXT NOT NULL,
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	comment    TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX feedback_log_signal ON feedback_log(signal_id, created_at);

CREATE TABLE negative_bank (
	id         TEXT PRIMARY KEY,
	type       TEXT NOT NULL,
	value      TEXT NOT NULL,
	org_id     TEXT NOT NULL,
	reason     TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (type, value)
);

-- Per-org match counts, daily aggregates only: never the queried hashes.
CREATE TABLE match_counts (
	org_id  TEXT NOT NULL,
	day     TEXT NOT NULL,
	queries BIGINT NOT NULL,
	matches BIGINT NOT NULL,
	PRIMARY KEY (org_id, day)
);

-- The oldest change sequence still answerable; older cursors must resync.
INSERT INTO counters (name, value) VALUES ('changes_pruned', 0);
