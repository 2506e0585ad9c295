-- Per-signal match counts, daily aggregates only (never the queried values):
-- how many times a match result returned the signal to an org on a day.
-- Every org's matches are counted, the submitter's own included; what a
-- viewer is shown of them (matches by other orgs, in months with at least
-- three of them) is decided on reading, in matchstats.go.
CREATE TABLE signal_match_days (
	signal_id TEXT NOT NULL,
	day       TEXT NOT NULL,
	org_id    TEXT NOT NULL,
	matches   BIGINT NOT NULL,
	PRIMARY KEY (signal_id, day, org_id)
);
CREATE INDEX signal_match_days_day ON signal_match_days(day);
