package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// eventsChannel is the notification channel of the triggers on events and
// webhook_deliveries (migration 018_webhooks_notify.postgres.sql).
const eventsChannel = "ksp_events"

// eventListener wakes this replica's live feeds and webhook workers when
// any replica commits events or queues deliveries. Without it they would
// wait for their poll; writes made on this replica wake them at commit
// anyway (sqlstore's event hub), the listener brings the others' writes.
type eventListener struct {
	wake    func()
	log     *slog.Logger
	connect func(context.Context) (*pgx.Conn, error)
	stop    context.CancelFunc
	done    chan struct{}
}

func startEventListener(wake func(), log *slog.Logger, connect func(context.Context) (*pgx.Conn, error)) *eventListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &eventListener{wake: wake, log: log, connect: connect, stop: cancel, done: make(chan struct{})}
	go l.run(ctx)
	return l
}

func (l *eventListener) close() {
	l.stop()
	<-l.done
}

func (l *eventListener) run(ctx context.Context) {
	defer close(l.done)
	delay := listenRetryMin
	for {
		listened, err := l.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened {
			delay = listenRetryMin
		}
		l.log.Warn("event listener down: other replicas' events reach the live feed and webhook workers at their next poll",
			"channel", eventsChannel, "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, listenRetryMax)
	}
}

func (l *eventListener) session(ctx context.Context) (listened bool, err error) {
	conn, err := l.connect(ctx)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		cancel()
	}()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&schema); err != nil {
		return false, fmt.Errorf("current schema: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+eventsChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	// Whatever committed while nobody listened is picked up now.
	l.wake()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPingEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if schema == "" || n.Payload == "" || n.Payload == schema {
				l.wake()
			}
		case ctx.Err() != nil:
			return true, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, fmt.Errorf("ping: %w", err)
			}
		default:
			return true, fmt.Errorf("wait for notification: %w", err)
		}
	}
}
