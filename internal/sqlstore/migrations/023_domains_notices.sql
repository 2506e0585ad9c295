-- Domain verification: several orgs may claim a domain, each with its own
-- token, but only one may hold it verified (the partial unique index), and
-- only a verified domain routes URL alerts. Each claim records how it was
-- proven (http, dns or staff) and the last failed check, for the admin page.

CREATE TABLE domain_claims (
	domain      TEXT NOT NULL,
	org_id      TEXT NOT NULL REFERENCES orgs(id),
	verified    BOOLEAN NOT NULL DEFAULT FALSE,
	token       TEXT NOT NULL,
	method      TEXT NOT NULL DEFAULT '',
	verified_at BIGINT,
	checked_at  BIGINT,
	check_error TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (domain, org_id)
);

-- Domains verified before this release were confirmed by staff.
INSERT INTO domain_claims (domain, org_id, verified, token, method, verified_at, created_at)
SELECT domain, org_id, verified, token,
	CASE WHEN verified THEN 'staff' ELSE '' END,
	CASE WHEN verified THEN created_at ELSE NULL END,
	created_at
FROM domains;

DROP TABLE domains;
ALTER TABLE domain_claims RENAME TO domains;
CREATE UNIQUE INDEX domains_one_verified ON domains(domain) WHERE verified;
CREATE INDEX domains_org ON domains(org_id, domain);

-- Mail notices: how far the incident mail has read the event table, and
-- when an alert's receiver was reminded of its coming deadline (once).
CREATE TABLE notice_cursors (
	name TEXT PRIMARY KEY,
	seq  BIGINT NOT NULL
);
ALTER TABLE alerts ADD COLUMN reminded_at BIGINT;

-- Alert URLs are personal data: erased from closed alerts once their
-- preservation period ends (url becomes ''; host, counts and times stay).
ALTER TABLE alerts ADD COLUMN url_erased_at BIGINT;
CREATE INDEX alerts_responded ON alerts(status, responded_at);

-- Alerts sent under an incident.
ALTER TABLE alerts ADD COLUMN incident_id TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_incident ON alerts(incident_id, created_at);
