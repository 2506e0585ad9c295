-- Accounts: session states, the second factor, recovery codes, password
-- resets and sign-in throttling. Portable SQL for SQLite and PostgreSQL.

ALTER TABLE sessions ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
CREATE INDEX sessions_expires ON sessions(expires_at);

-- The last TOTP time step accepted, so no code is accepted twice.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Recovery codes, by SHA-256; each works once.
CREATE TABLE recovery_codes (
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	code_hash  TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	used_at    BIGINT,
	PRIMARY KEY (user_id, code_hash)
);

-- Password reset links, by SHA-256; each works once, for an hour.
CREATE TABLE password_resets (
	token_hash TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT
);
CREATE INDEX password_resets_user ON password_resets(user_id);

-- Sign-in failures per account and per client address, keyed by the
-- SHA-256 of "email:…" or "ip:…" so the table holds no addresses.
CREATE TABLE signin_throttle (
	key_hash     TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	window_start BIGINT NOT NULL,
	locked_until BIGINT NOT NULL DEFAULT 0
);
