-- Questions and answers, votes, and mentorship.
-- Portable SQL for SQLite and PostgreSQL: this part is the same in both
-- dialects' files; only the full-text search differs.

-- A question is shared like any item (owner_org_id, distribution, tlp,
-- audiences); its answers are shared through it. votes, answer_count and
-- accepted_answer_id are kept by the store inside the writes that change
-- them, so that lists need no aggregation.
CREATE TABLE questions (
	id                 TEXT PRIMARY KEY,
	title              TEXT NOT NULL,
	body               TEXT NOT NULL,
	tags               TEXT NOT NULL DEFAULT '[]',
	tag_lines          TEXT NOT NULL DEFAULT '',
	owner_org_id       TEXT NOT NULL REFERENCES orgs(id),
	author_id          TEXT NOT NULL DEFAULT '',
	author_name        TEXT NOT NULL DEFAULT '',
	distribution       TEXT NOT NULL,
	tlp                TEXT NOT NULL,
	votes              INTEGER NOT NULL DEFAULT 0,
	answer_count       INTEGER NOT NULL DEFAULT 0,
	accepted_answer_id TEXT NOT NULL DEFAULT '',
	created_at         BIGINT NOT NULL,
	updated_at         BIGINT NOT NULL
);
CREATE INDEX questions_created ON questions(created_at, id);
CREATE INDEX questions_owner ON questions(owner_org_id, created_at);

CREATE TABLE answers (
	id          TEXT PRIMARY KEY,
	question_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
	org_id      TEXT NOT NULL REFERENCES orgs(id),
	author_id   TEXT NOT NULL DEFAULT '',
	author_name TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL,
	votes       INTEGER NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL
);
CREATE INDEX answers_question ON answers(question_id, created_at);

-- One vote per user per question or answer (item_id is either).
CREATE TABLE community_votes (
	item_id    TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (item_id, user_id)
);

-- Mentorship: requests (seen by the two organisations and staff), the
-- topics each organisation offers, and the sessions either side logs.
CREATE TABLE mentorship_requests (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES orgs(id),
	topics        TEXT NOT NULL,
	note          TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL,
	mentor_org_id TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE INDEX mentorship_requests_org ON mentorship_requests(org_id, id);
CREATE INDEX mentorship_requests_mentor ON mentorship_requests(mentor_org_id, id);

CREATE TABLE mentorship_offers (
	org_id     TEXT PRIMARY KEY REFERENCES orgs(id),
	topics     TEXT NOT NULL,
	note       TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL
);

CREATE TABLE mentorship_sessions (
	id         TEXT PRIMARY KEY,
	request_id TEXT NOT NULL REFERENCES mentorship_requests(id) ON DELETE CASCADE,
	org_id     TEXT NOT NULL REFERENCES orgs(id),
	held_on    TEXT NOT NULL,
	minutes    INTEGER NOT NULL,
	notes      TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX mentorship_sessions_request ON mentorship_sessions(request_id, created_at);

-- Full-text search (PostgreSQL), as 011_search.postgres.sql does for the
-- library: a generated tsvector (title A, tags B, body D) with a GIN index.
ALTER TABLE questions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple', regexp_replace(title, '[^[:alnum:]]+', ' ', 'g')), 'A') ||
	setweight(to_tsvector('simple', regexp_replace(tags, '[^[:alnum:]]+', ' ', 'g')), 'B') ||
	setweight(to_tsvector('simple', regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')), 'D')
) STORED;
CREATE INDEX questions_search ON questions USING GIN (search_vector);
