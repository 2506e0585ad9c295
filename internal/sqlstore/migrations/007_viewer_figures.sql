-- Everything a viewer sees of a signal is computed over what it may see
-- (DESIGN.md): a verdict is about the submissions its giver could see when
-- giving it, kept here as the list of their orgs (one submission per org
-- and signal), and counts for a viewer only while the viewer may see one of
-- them. Existing verdicts are taken to be about what their giver may see
-- now; resolutions about every submission.
ALTER TABLE feedback ADD COLUMN subjects TEXT NOT NULL DEFAULT '[]';
ALTER TABLE feedback_log ADD COLUMN subjects TEXT NOT NULL DEFAULT '[]';
ALTER TABLE signals ADD COLUMN resolution_subjects TEXT NOT NULL DEFAULT '[]';
UPDATE feedback SET subjects = COALESCE((SELECT '[' || string_agg('"' || s.org_id || '"', ',') || ']' FROM submissions s
	WHERE s.signal_id = feedback.signal_id AND (s.org_id = feedback.org_id OR s.distribution IN ('members', 'public')
		OR EXISTS (SELECT 1 FROM orgs o WHERE o.id = feedback.org_id AND o.kind = 'staff')
		OR (s.distribution = 'audience' AND EXISTS (SELECT 1 FROM audiences au WHERE au.item_id = s.id AND au.org_id = feedback.org_id)))), '[]');
UPDATE feedback_log SET subjects = COALESCE((SELECT '[' || string_agg('"' || s.org_id || '"', ',') || ']' FROM submissions s
	WHERE s.signal_id = feedback_log.signal_id AND (feedback_log.kind = 'resolution' OR s.org_id = feedback_log.org_id OR s.distribution IN ('members', 'public')
		OR EXISTS (SELECT 1 FROM orgs o WHERE o.id = feedback_log.org_id AND o.kind = 'staff')
		OR (s.distribution = 'audience' AND EXISTS (SELECT 1 FROM audiences au WHERE au.item_id = s.id AND au.org_id = feedback_log.org_id)))), '[]');
UPDATE signals SET resolution_subjects = COALESCE((SELECT '[' || string_agg('"' || s.org_id || '"', ',') || ']' FROM submissions s WHERE s.signal_id = signals.id), '[]')
	WHERE resolution <> '';
-- Relabelling and removal now act on the submissions they settled, so that
-- a later submission is judged on its own: a removal retracts them, a
-- relabelling gives them staff's labels.
UPDATE submissions SET retracted_at = (SELECT sig.resolved_at FROM signals sig WHERE sig.id = submissions.signal_id)
	WHERE retracted_at IS NULL AND signal_id IN (SELECT id FROM signals WHERE resolution = 'removed');
UPDATE submissions SET labels = (SELECT sig.resolved_labels FROM signals sig WHERE sig.id = submissions.signal_id)
	WHERE signal_id IN (SELECT id FROM signals WHERE resolution = 'relabelled' AND resolved_labels <> '[]');
UPDATE submissions SET label_bits = (CASE WHEN labels LIKE '%"imminent_threat"%' THEN 1 ELSE 0 END)
	+ (CASE WHEN labels LIKE '%"graphic_violence"%' THEN 2 ELSE 0 END)
	+ (CASE WHEN labels LIKE '%"glorification"%' THEN 4 ELSE 0 END)
	+ (CASE WHEN labels LIKE '%"recruitment"%' THEN 8 ELSE 0 END)
	+ (CASE WHEN labels LIKE '%"instruction"%' THEN 16 ELSE 0 END)
	+ (CASE WHEN labels LIKE '%"propaganda"%' THEN 32 ELSE 0 END)
	+ (CASE WHEN labels LIKE '%"attack_content"%' THEN 64 ELSE 0 END)
	+ (CASE WHEN labels LIKE '%"manifesto"%' THEN 128 ELSE 0 END)
	WHERE signal_id IN (SELECT id FROM signals WHERE resolution = 'relabelled');
-- signals.status is now a coarse filter: 'active' when every viewer sees
-- the signal active (no verdict, no resolution, no retracted submission),
-- 'mixed' when each viewer's status must be computed.
UPDATE signals SET status = CASE WHEN resolution <> ''
	OR EXISTS (SELECT 1 FROM feedback f WHERE f.signal_id = signals.id)
	OR EXISTS (SELECT 1 FROM submissions s WHERE s.signal_id = signals.id AND s.retracted_at IS NOT NULL)
	THEN 'mixed' ELSE 'active' END;
-- The signals list is ordered by each viewer's newest visible submission
-- (submission ids are UUIDv7), so its filters' indexes are in submission
-- order.
-- signals_type (migration 005) read a type in signal-id order; signal ids
-- are random now and the list reads submissions in their order, checking
-- the type by id, so it only cost writes.
DROP INDEX signals_type;
DROP INDEX submissions_entity;
CREATE INDEX submissions_entity ON submissions(entity_id, id) WHERE entity_id <> '';
DROP INDEX submissions_label_imminent_threat;
DROP INDEX submissions_label_graphic_violence;
DROP INDEX submissions_label_glorification;
DROP INDEX submissions_label_recruitment;
DROP INDEX submissions_label_instruction;
DROP INDEX submissions_label_propaganda;
DROP INDEX submissions_label_attack_content;
DROP INDEX submissions_label_manifesto;
CREATE INDEX submissions_label_imminent_threat ON submissions(id) WHERE (label_bits & 1) = 1 AND retracted_at IS NULL;
CREATE INDEX submissions_label_graphic_violence ON submissions(id) WHERE (label_bits & 2) = 2 AND retracted_at IS NULL;
CREATE INDEX submissions_label_glorification ON submissions(id) WHERE (label_bits & 4) = 4 AND retracted_at IS NULL;
CREATE INDEX submissions_label_recruitment ON submissions(id) WHERE (label_bits & 8) = 8 AND retracted_at IS NULL;
CREATE INDEX submissions_label_instruction ON submissions(id) WHERE (label_bits & 16) = 16 AND retracted_at IS NULL;
CREATE INDEX submissions_label_propaganda ON submissions(id) WHERE (label_bits & 32) = 32 AND retracted_at IS NULL;
CREATE INDEX submissions_label_attack_content ON submissions(id) WHERE (label_bits & 64) = 64 AND retracted_at IS NULL;
CREATE INDEX submissions_label_manifesto ON submissions(id) WHERE (label_bits & 128) = 128 AND retracted_at IS NULL;
-- The negative bank: an entry applies to its org's own matches; a
-- programme-wide entry (scope 'programme') applies to everyone once staff
-- approved it (approved_at set), and to its proposer until then. Each org
-- keeps its own entry for a value. Existing entries become their org's own
-- (they applied to everyone without review), except the secretariat's.
CREATE TABLE negative_entries (
	id          TEXT PRIMARY KEY,
	type        TEXT NOT NULL,
	value       TEXT NOT NULL,
	org_id      TEXT NOT NULL REFERENCES orgs(id),
	reason      TEXT NOT NULL,
	scope       TEXT NOT NULL,
	approved_at BIGINT,
	approved_by TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	UNIQUE (type, value, org_id)
);
INSERT INTO negative_entries (id, type, value, org_id, reason, scope, approved_at, approved_by, created_at)
	SELECT n.id, n.type, n.value, n.org_id, n.reason,
		CASE WHEN o.kind = 'staff' THEN 'programme' ELSE 'org' END,
		CASE WHEN o.kind = 'staff' THEN n.created_at ELSE NULL END,
		CASE WHEN o.kind = 'staff' THEN n.org_id ELSE '' END,
		n.created_at
	FROM negative_bank n JOIN orgs o ON o.id = n.org_id;
DROP TABLE negative_bank;
CREATE INDEX negative_entries_value ON negative_entries(type, value);
CREATE INDEX negative_entries_pending ON negative_entries(created_at) WHERE scope = 'programme' AND approved_at IS NULL;
