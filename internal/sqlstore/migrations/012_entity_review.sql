-- Review flags: when an entity is delisted from a list, every signal with a
-- submission attributed to it is flagged for staff to review, in the same
-- transaction as the delisting. A flag names the listing that ended and
-- when; staff clear it (resolved_at, resolved_by, note). A flag reveals that
-- signals exist, so only staff read this table.
CREATE TABLE signal_reviews (
	id               TEXT PRIMARY KEY,
	signal_id        TEXT NOT NULL,
	entity_id        TEXT NOT NULL,
	reason           TEXT NOT NULL,
	list             TEXT NOT NULL,
	reference_number TEXT NOT NULL DEFAULT '',
	delisted_on      TEXT NOT NULL DEFAULT '',
	created_at       BIGINT NOT NULL,
	resolved_at      BIGINT,
	resolved_by      TEXT NOT NULL DEFAULT '',
	note             TEXT NOT NULL DEFAULT ''
);
-- One flag per signal and delisting: importing the same list again, or a
-- retried write, adds none. A listing delisted again after a relisting is
-- another delisting (another date) and flags again.
CREATE UNIQUE INDEX signal_reviews_once ON signal_reviews(signal_id, entity_id, list, delisted_on);
-- Staff's queue: the open flags, newest first.
CREATE INDEX signal_reviews_open ON signal_reviews(id) WHERE resolved_at IS NULL;
