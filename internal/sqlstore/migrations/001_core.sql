-- Platform core: orgs, people, keys, vetting, the audit chain, the event table.
-- Portable SQL for SQLite and PostgreSQL: times are BIGINT microseconds since
-- the Unix epoch (UTC), lists are JSON text, identifiers are UUIDv7 text.

CREATE TABLE orgs (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	slug       TEXT NOT NULL UNIQUE,
	kind       TEXT NOT NULL,
	size       TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL DEFAULT 'member',
	website    TEXT NOT NULL DEFAULT '',
	named      BOOLEAN NOT NULL DEFAULT FALSE,
	created_at BIGINT NOT NULL
);

INSERT INTO orgs (id, name, slug, kind, status, created_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'KSP Secretariat', 'ksp-secretariat', 'staff', 'member', 0);

CREATE TABLE domains (
	domain     TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES orgs(id),
	verified   BOOLEAN NOT NULL DEFAULT FALSE,
	token      TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX domains_org ON domains(org_id);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES orgs(id),
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL,
	status        TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	totp_secret   TEXT NOT NULL DEFAULT '',
	totp_enabled  BOOLEAN NOT NULL DEFAULT FALSE,
	created_at    BIGINT NOT NULL,
	last_login    BIGINT
);
CREATE INDEX users_org ON users(org_id, id);

CREATE TABLE invitations (
	token_hash TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT
);

CREATE TABLE api_keys (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES orgs(id),
	user_id     TEXT,
	name        TEXT NOT NULL DEFAULT '',
	prefix      TEXT NOT NULL,
	secret_hash TEXT NOT NULL UNIQUE,
	scopes      TEXT NOT NULL,
	demo        BOOLEAN NOT NULL DEFAULT FALSE,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT,
	last_used   BIGINT,
	revoked_at  BIGINT
);
CREATE INDEX api_keys_org ON api_keys(org_id, id);
CREATE INDEX api_keys_user ON api_keys(user_id);

CREATE TABLE applications (
	id            TEXT PRIMARY KEY,
	org_name      TEXT NOT NULL,
	kind          TEXT NOT NULL,
	size          TEXT NOT NULL DEFAULT '',
	website       TEXT NOT NULL DEFAULT '',
	domains       TEXT NOT NULL DEFAULT '[]',
	contact_name  TEXT NOT NULL,
	contact_email TEXT NOT NULL,
	motivation    TEXT NOT NULL,
	status        TEXT NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	org_id        TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	decided_at    BIGINT
);
CREATE INDEX applications_status ON applications(status, id);

-- The audit chain. audit_head holds the last link; every audited write
-- updates it, which also serialises the chain across replicas.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY,
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
	seq            BIGINT PRIMARY KEY,
	time           BIGINT NOT NULL,
	actor          TEXT NOT NULL,
	org_id         TEXT NOT NULL,
	action         TEXT NOT NULL,
	object         TEXT NOT NULL,
	details_digest TEXT NOT NULL,
	prev_hash      TEXT NOT NULL,
	hash           TEXT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events(org_id, seq);

-- Personal details referenced by digest from the chain; erasable.
CREATE TABLE audit_details (
	digest  TEXT PRIMARY KEY,
	details TEXT NOT NULL
);

-- Commit-ordered sequences (events, signal changes). A writer takes the next
-- value by updating the row, which holds its lock until commit: no reader
-- can see value N+1 before N has committed.
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('events', 0);
INSERT INTO counters (name, value) VALUES ('changes', 0);

CREATE TABLE events (
	seq          BIGINT PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,
	type         TEXT NOT NULL,
	time         BIGINT NOT NULL,
	object_id    TEXT NOT NULL,
	owner_org_id TEXT NOT NULL,
	distribution TEXT NOT NULL,
	tlp          TEXT NOT NULL,
	data         TEXT NOT NULL
);

-- The named organisations of every item whose distribution is 'audience'.
CREATE TABLE audiences (
	item_id TEXT NOT NULL,
	org_id  TEXT NOT NULL,
	PRIMARY KEY (item_id, org_id)
);
CREATE INDEX audiences_org ON audiences(org_id);

-- Secrets the replicas must share (cookie and CSRF keys).
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Browser sessions; the cookie carries the token, the table its SHA-256.
CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	last_seen  BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	ip         TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);
