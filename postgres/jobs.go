package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// jobLockClass is the first key of the two-key advisory locks of periodic
// jobs (the second is a hash of the schema and the job's name). Two-key
// locks never collide with the one-key write and migration locks.
const jobLockClass = 0x6b7370

// TryJob claims the run of the periodic job name (internal/jobs): on a
// new connection of its own, outside the pool, it takes the job's
// session-level advisory lock without waiting, then records the start in
// job_runs unless a run started less than nine tenths of every ago (by
// the database's clock, the one clock all replicas share). release records
// the end and closes the connection, which frees the lock; a replica that
// dies frees it the same way, with its session.
func (db *DB) TryJob(ctx context.Context, name string, every time.Duration) (release func(), ok bool, err error) {
	cfg := db.Pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "ksp job " + name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, false, fmt.Errorf("job %s: connect: %w", name, err)
	}
	closeConn := func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn.Close(cctx)
		cancel()
	}
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext(COALESCE(current_schema(), '') || ':' || $2))`, jobLockClass, name).Scan(&locked); err != nil {
		closeConn()
		return nil, false, fmt.Errorf("job %s: lock: %w", name, err)
	}
	if !locked {
		closeConn()
		return nil, false, nil
	}
	gap := (every - every/10).Microseconds()
	var started int64
	err = conn.QueryRow(ctx, `INSERT INTO job_runs (name, started_at) VALUES ($1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT)
		ON CONFLICT (name) DO UPDATE SET started_at = EXCLUDED.started_at, finished_at = NULL
		WHERE job_runs.started_at <= EXCLUDED.started_at - $2
		RETURNING started_at`, name, gap).Scan(&started)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		closeConn()
		return nil, false, nil
	case err != nil:
		closeConn()
		return nil, false, fmt.Errorf("job %s: record start: %w", name, err)
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `UPDATE job_runs SET finished_at = (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT WHERE name = $1 AND started_at = $2`, name, started); err != nil {
			db.log.Warn("periodic job: could not record its end", "job", name, "err", err)
		}
		closeConn()
	}, true, nil
}
