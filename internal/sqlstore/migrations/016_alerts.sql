-- URL alerts and legal orders to hosting platforms (issue 15). Portable SQL
-- for SQLite and PostgreSQL. Times are Unix microseconds.

CREATE TABLE alerts (
	id                TEXT PRIMARY KEY,
	url               TEXT NOT NULL,
	host              TEXT NOT NULL,
	kind              TEXT NOT NULL,
	tier              TEXT NOT NULL DEFAULT '',
	threat_level      TEXT NOT NULL DEFAULT '',
	issuing_authority TEXT NOT NULL DEFAULT '',
	member_state      TEXT NOT NULL DEFAULT '',
	legal_basis       TEXT NOT NULL DEFAULT '',
	received_at       BIGINT,
	entity_id         TEXT NOT NULL DEFAULT '',
	labels            TEXT NOT NULL DEFAULT '[]',
	tlp               TEXT NOT NULL,
	jurisdiction      TEXT NOT NULL DEFAULT '',
	sender_org_id     TEXT NOT NULL REFERENCES orgs(id),
	-- '' while the alert waits with staff (no verified domain matched).
	receiver_org_id   TEXT NOT NULL DEFAULT '',
	linked_alert_id   TEXT NOT NULL DEFAULT '',
	status            TEXT NOT NULL,
	created_at        BIGINT NOT NULL,
	clock_start       BIGINT NOT NULL,
	deadline_at       BIGINT NOT NULL,
	escalated_at      BIGINT,
	viewed_at         BIGINT,
	response_action   TEXT NOT NULL DEFAULT '',
	response_note     TEXT NOT NULL DEFAULT '',
	response_reason   TEXT NOT NULL DEFAULT '',
	responded_at      BIGINT,
	preserve_until    BIGINT
);
CREATE INDEX alerts_url ON alerts(url, created_at);
CREATE INDEX alerts_receiver ON alerts(receiver_org_id, id);
CREATE INDEX alerts_due ON alerts(status, deadline_at);

-- Each member's request about an alert's URL; merged alerts have several.
CREATE TABLE alert_requests (
	id                  TEXT PRIMARY KEY,
	alert_id            TEXT NOT NULL REFERENCES alerts(id),
	org_id              TEXT NOT NULL REFERENCES orgs(id),
	kind                TEXT NOT NULL,
	tier                TEXT NOT NULL DEFAULT '',
	threat_level        TEXT NOT NULL DEFAULT '',
	entity_id           TEXT NOT NULL DEFAULT '',
	labels              TEXT NOT NULL DEFAULT '[]',
	note                TEXT NOT NULL DEFAULT '',
	tlp                 TEXT NOT NULL,
	jurisdiction        TEXT NOT NULL DEFAULT '',
	do_not_notify_until BIGINT,
	created_at          BIGINT NOT NULL
);
CREATE INDEX alert_requests_alert ON alert_requests(alert_id);

-- Who may see an alert besides staff: its requesters, its receiver and the
-- law-enforcement contacts it was routed to. One rule reads this table.
CREATE TABLE alert_parties (
	alert_id TEXT NOT NULL REFERENCES alerts(id),
	org_id   TEXT NOT NULL REFERENCES orgs(id),
	role     TEXT NOT NULL,
	PRIMARY KEY (alert_id, org_id, role)
);
CREATE INDEX alert_parties_org ON alert_parties(org_id, role, alert_id);

CREATE TABLE alert_timeline (
	seq      BIGINT NOT NULL,
	alert_id TEXT NOT NULL REFERENCES alerts(id),
	time     BIGINT NOT NULL,
	type     TEXT NOT NULL,
	org_id   TEXT NOT NULL DEFAULT '',
	note     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (alert_id, seq)
);

-- Government orgs staff marked as law-enforcement contacts, per ISO 3166
-- jurisdiction.
CREATE TABLE le_contacts (
	org_id       TEXT NOT NULL REFERENCES orgs(id),
	jurisdiction TEXT NOT NULL,
	PRIMARY KEY (org_id, jurisdiction)
);
CREATE INDEX le_contacts_jurisdiction ON le_contacts(jurisdiction);
