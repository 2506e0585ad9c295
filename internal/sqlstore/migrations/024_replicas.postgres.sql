-- PostgreSQL only: every transaction that moves the "changes" counter (a
-- signal submitted, merged, retracted, narrowed or resolved, feedback, the
-- negative bank) sends a notification on channel ksp_changes at commit,
-- with the table's schema as payload. Each replica listens (postgres/
-- changes.go) and wakes its hash bank's follower, which then reads the
-- changes past its position as it does on its one-second poll; the poll
-- stays as the fallback while the listening connection is down. A trigger
-- rather than a NOTIFY in the store's code, so that replicas of an older
-- version still running during an upgrade wake the others too.
-- Notifications of one transaction with the same payload arrive as one.

CREATE FUNCTION ksp_changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM pg_notify('ksp_changes', TG_TABLE_SCHEMA); RETURN NULL; END$$;

CREATE TRIGGER counters_changes_notify AFTER UPDATE ON counters FOR EACH ROW WHEN (NEW.name = 'changes') EXECUTE FUNCTION ksp_changes_notify();

-- Periodic jobs that must run once across replicas (internal/jobs) record
-- when each last started, under the job's advisory lock, so that N replicas
-- ticking at different moments still run a job once per period.
CREATE TABLE job_runs (
	name        TEXT PRIMARY KEY,
	started_at  BIGINT NOT NULL,
	finished_at BIGINT
);
