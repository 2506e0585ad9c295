package webhook_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kspplatform/ksp/postgres/pgtest"
	"github.com/kspplatform/ksp/storetest"
	"github.com/kspplatform/ksp/webhook"
)

// benchHookDeliveries queues b.N events to one webhook on a local receiver
// (which answers 204 at once) and times the worker delivering them all:
// claim, sign, POST, record.
func benchHookDeliveries(b *testing.B, db storetest.Store) {
	f := storetest.NewFixture(b, db)
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	if _, err := db.CreateWebhook(storetest.As(f.Platform, f.PlatAdmin), hookInputAll(srv.URL)); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := db.AppendEvent(storetest.Staff(), "incident.updated", "inc", hookMembers, map[string]int{"i": i}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	stop := startHookWorker(b, &webhook.Worker{Store: db, Client: webhook.NewClient(true), Concurrency: 16, Log: slog.New(slog.DiscardHandler)})
	for got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
}

func BenchmarkHookDeliveriesSQLite(b *testing.B) {
	benchHookDeliveries(b, hookSQLite(b, filepath.Join(b.TempDir(), "ksp.db")))
}

func BenchmarkHookDeliveriesPostgres(b *testing.B) {
	benchHookDeliveries(b, hookPostgres(b, pgtest.Schema(b)))
}
