-- Transparency reports (issue 16): the reports published for calendar
-- periods, frozen byte for byte, and the signed daily checkpoints of the
-- audit chain's head. Portable SQL for SQLite and PostgreSQL.

CREATE TABLE transparency_reports (
	id           TEXT PRIMARY KEY,
	period       TEXT NOT NULL UNIQUE,
	period_from  TEXT NOT NULL,
	period_to    TEXT NOT NULL,
	body         TEXT NOT NULL,
	sha256       TEXT NOT NULL,
	audit_seq    BIGINT NOT NULL,
	published_at BIGINT NOT NULL,
	published_by TEXT NOT NULL
);

-- One checkpoint a day: the chain's head, signed with the server's
-- Ed25519 key (kept outside the database).
CREATE TABLE audit_checkpoints (
	day        TEXT PRIMARY KEY,
	seq        BIGINT NOT NULL,
	hash       TEXT NOT NULL,
	signed_at  BIGINT NOT NULL,
	public_key TEXT NOT NULL,
	signature  TEXT NOT NULL
);

-- A report reads each table by time.
CREATE INDEX submissions_retracted ON submissions(retracted_at) WHERE retracted_at IS NOT NULL;
CREATE INDEX alerts_created ON alerts(created_at);
CREATE INDEX feedback_log_created ON feedback_log(kind, created_at);
CREATE INDEX audit_events_time ON audit_events(time);
CREATE INDEX incidents_activated ON incidents(activated_at) WHERE activated_at IS NOT NULL;
