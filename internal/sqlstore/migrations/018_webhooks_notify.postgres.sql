-- PostgreSQL only: a new event or a queued delivery sends a notification on
-- channel ksp_events at commit, so that the live feed and the webhook
-- workers of every replica wake at once (postgres/events.go), not at their
-- next poll. The payload is the schema; notifications of one transaction arrive as one.

CREATE FUNCTION ksp_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM pg_notify('ksp_events', TG_TABLE_SCHEMA); RETURN NULL; END$$;

CREATE TRIGGER events_notify AFTER INSERT ON events
	FOR EACH STATEMENT EXECUTE FUNCTION ksp_events_notify();

CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON webhook_deliveries
	FOR EACH STATEMENT EXECUTE FUNCTION ksp_events_notify();
