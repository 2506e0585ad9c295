-- Community events (workshops, webinars, conferences) shared like any item
-- (owner_org_id, distribution, audience rows keyed by id), the people
-- registered for them, and organisations' self-assessments, which only
-- their own org reads (staff see aggregates).

CREATE TABLE calendar_events (
	id            TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	title         TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	agenda        TEXT NOT NULL DEFAULT '[]',
	start_at      BIGINT NOT NULL,
	end_at        BIGINT NOT NULL,
	time_zone     TEXT NOT NULL,
	place         TEXT NOT NULL DEFAULT '',
	online_url    TEXT NOT NULL DEFAULT '',
	recording_url TEXT NOT NULL DEFAULT '',
	owner_org_id  TEXT NOT NULL,
	distribution  TEXT NOT NULL,
	tlp           TEXT NOT NULL,
	created_by    TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
-- Upcoming and past lists, and the public feed, select on the end time.
CREATE INDEX calendar_events_end ON calendar_events(end_at);
CREATE INDEX calendar_events_public ON calendar_events(distribution, id);

CREATE TABLE calendar_registrations (
	event_id   TEXT NOT NULL REFERENCES calendar_events(id),
	user_id    TEXT NOT NULL,
	org_id     TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (event_id, user_id)
);
CREATE INDEX calendar_registrations_user ON calendar_registrations(user_id);

CREATE TABLE assessments (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	submitted_by TEXT NOT NULL,
	template     TEXT NOT NULL,
	answers      TEXT NOT NULL,
	scores       TEXT NOT NULL,
	overall      INTEGER NOT NULL,
	created_at   BIGINT NOT NULL
);
CREATE INDEX assessments_org ON assessments(org_id, id);
