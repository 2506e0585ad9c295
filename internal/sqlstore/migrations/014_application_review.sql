-- Staff's review of an application: notes kept with it (staff only), the
-- checklist as ticked (item -> who ticked it and when, as JSON), and the
-- reason given for the decision (also in the decision's audit event).
CREATE TABLE application_notes (
	id             TEXT PRIMARY KEY,
	application_id TEXT NOT NULL REFERENCES applications(id),
	author_id      TEXT NOT NULL, -- the user, '' for a non-user actor
	author         TEXT NOT NULL, -- the audit name: user:<id>, cli:<os user>
	body           TEXT NOT NULL,
	created_at     BIGINT NOT NULL
);
CREATE INDEX application_notes_app ON application_notes(application_id, created_at);
ALTER TABLE applications ADD COLUMN checklist TEXT NOT NULL DEFAULT '{}';
ALTER TABLE applications ADD COLUMN decision_reason TEXT NOT NULL DEFAULT '';
