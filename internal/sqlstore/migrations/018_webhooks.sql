-- Webhooks and their durable outbox. A delivery row is queued in the same
-- transaction as its event, for each webhook whose org may see the event
-- and that subscribes to its type; workers claim due rows (claim_token,
-- next_at pushed to the lease's end) and record each attempt on the row.
-- The signing secret is kept as issued: signing needs the key itself.

CREATE TABLE webhooks (
	id                  TEXT PRIMARY KEY,
	org_id              TEXT NOT NULL REFERENCES orgs(id),
	url                 TEXT NOT NULL,
	events              TEXT NOT NULL,
	secret              TEXT NOT NULL,
	previous_secret     TEXT NOT NULL DEFAULT '',
	previous_until      BIGINT,
	rotated_at          BIGINT,
	created_by          TEXT NOT NULL,
	created_at          BIGINT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks(org_id, id);

CREATE TABLE webhook_deliveries (
	id            TEXT PRIMARY KEY,
	webhook_id    TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	event_id      TEXT NOT NULL,
	event_type    TEXT NOT NULL,
	body          TEXT NOT NULL,
	status        TEXT NOT NULL,
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_at       BIGINT NOT NULL,
	claim_token   TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	last_at       BIGINT,
	last_status   INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	delivered_at  BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);
CREATE INDEX events_time ON events(time);
