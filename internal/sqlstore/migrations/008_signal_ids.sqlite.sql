-- Signal ids become random (UUIDv4): a UUIDv7 dates the first submission,
-- which a viewer may not see. Every existing id is reissued; the old ones
-- stay in signal_id_map, so that audit events (which keep the old ids)
-- can still be followed. Followers' cursors no longer name valid ids:
-- changes_pruned moves to the newest change, so that they get
-- 410 resync_required and list the signals again.
CREATE TABLE signal_id_map (
	old_id TEXT PRIMARY KEY,
	new_id TEXT NOT NULL UNIQUE
);
INSERT INTO signal_id_map (old_id, new_id)
	SELECT id, lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-'
		|| substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))
	FROM signals;
PRAGMA defer_foreign_keys = ON;
UPDATE submissions SET signal_id = (SELECT m.new_id FROM signal_id_map m WHERE m.old_id = submissions.signal_id);
UPDATE feedback SET signal_id = (SELECT m.new_id FROM signal_id_map m WHERE m.old_id = feedback.signal_id);
UPDATE feedback_log SET signal_id = COALESCE((SELECT m.new_id FROM signal_id_map m WHERE m.old_id = feedback_log.signal_id), signal_id);
UPDATE signal_tombstones SET signal_id = COALESCE((SELECT m.new_id FROM signal_id_map m WHERE m.old_id = signal_tombstones.signal_id), signal_id);
UPDATE events SET data = replace(data, object_id, (SELECT m.new_id FROM signal_id_map m WHERE m.old_id = events.object_id)),
	object_id = (SELECT m.new_id FROM signal_id_map m WHERE m.old_id = events.object_id)
	WHERE object_id IN (SELECT old_id FROM signal_id_map);
UPDATE signals SET id = (SELECT m.new_id FROM signal_id_map m WHERE m.old_id = signals.id);
UPDATE counters SET value = (SELECT value FROM counters WHERE name = 'changes') WHERE name = 'changes_pruned';
