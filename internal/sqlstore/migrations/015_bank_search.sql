-- The bank list's sorts by first and last seen (internal/sqlstore/banklist.go)
-- read submissions in the order of their creation or latest change, each
-- signal placed by the one the viewer may see first or last: without these
-- a page aggregated every visible submission (1.3 s at 100,000 signals).
CREATE INDEX submissions_created ON submissions(created_at, id);
CREATE INDEX submissions_updated ON submissions(updated_at, id);
