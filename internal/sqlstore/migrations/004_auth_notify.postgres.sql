-- PostgreSQL only: every statement that can change what an API key resolves
-- to (the columns the key lookup reads, except last_used, which the lookup
-- writes itself) sends a notification on channel ksp_auth at commit, with
-- the table's schema as payload. Each replica listens and drops its cache of
-- resolved keys (postgres/keycache.go). Triggers rather than a NOTIFY in the
-- store's code, so that changes made by hand in SQL, and by replicas still
-- running an older version during an upgrade, are announced too.
-- Notifications of one transaction with the same payload arrive as one.

CREATE FUNCTION ksp_auth_notify() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM pg_notify('ksp_auth', TG_TABLE_SCHEMA); RETURN NULL; END$$;

CREATE TRIGGER api_keys_auth_notify
	AFTER UPDATE OF id, org_id, user_id, secret_hash, scopes, expires_at, revoked_at OR DELETE OR TRUNCATE ON api_keys
	FOR EACH STATEMENT EXECUTE FUNCTION ksp_auth_notify();

CREATE TRIGGER users_auth_notify
	AFTER UPDATE OF id, role OR DELETE OR TRUNCATE ON users
	FOR EACH STATEMENT EXECUTE FUNCTION ksp_auth_notify();

CREATE TRIGGER orgs_auth_notify
	AFTER UPDATE OF id, kind, status OR DELETE OR TRUNCATE ON orgs
	FOR EACH STATEMENT EXECUTE FUNCTION ksp_auth_notify();
