-- Filters of the signals list that select few rows: without these, a page
-- of disputed signals, or of one entity's, scans the whole bank in id
-- order (1.5 s at 1M signals). Partial, so the common case (active
-- signals, submissions without an entity) costs no index space; queries
-- repeat the index's condition so that the planner may use it.
CREATE INDEX signals_status ON signals(status, id) WHERE status <> 'active';
CREATE INDEX submissions_entity ON submissions(entity_id, signal_id) WHERE entity_id <> '';
-- By type in id order: SQLite, without statistics, otherwise takes
-- UNIQUE (type, value) for a type filter and sorts every signal of the
-- type to return a page (16 s for type=pdq at 1M signals).
CREATE INDEX signals_type ON signals(type, id);
