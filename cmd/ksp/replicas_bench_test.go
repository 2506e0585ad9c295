package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kspplatform/ksp/storetest"
)

// BenchmarkReplicaLag measures how long a signal submitted through one
// replica takes to become matchable through another on the same
// PostgreSQL database: each iteration submits one signal through A and
// polls B until it matches (the clock starts when the submission is
// answered, that is after its commit). Reports the median and the 99th
// percentile. Run with -benchtime=200x for 200 signals.
func BenchmarkReplicaLag(b *testing.B) {
	db, keys := replicaSetup(b)
	a, r := replicaServe(b, db), replicaServe(b, db)
	lags := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		replicaSubmit(b, a, keys.platform, 10000+i)
		lags = append(lags, replicaLag(b, "matched on the other replica", func() bool { return replicaMatch(b, r, keys.startup, 10000+i) }))
	}
	b.StopTimer()
	p50, p99 := replicaLagPercentiles(lags)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-lag-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-lag-ms")
}

// BenchmarkReplicaMatchThroughput measures match requests per second
// against one replica and against two replicas on one PostgreSQL database
// (requests alternate between them, as behind a round-robin balancer),
// with 20,000 PDQ signals loaded and 16 clients in flight. The servers,
// the load generator and PostgreSQL share the machine's cores. Each
// request is one PDQ query at the default threshold (31).
func BenchmarkReplicaMatchThroughput(b *testing.B) {
	db, keys := replicaSetup(b)
	seed := replicaServe(b, db)
	const signals, chunk = 20000, 2000
	for from := 0; from < signals; from += chunk {
		var body bytes.Buffer
		for i := from; i < from+chunk; i++ {
			fmt.Fprintf(&body, `{"type":"pdq","value":%q,"content_type":"photo","labels":["propaganda"],"basis":"branded_publication"}`+"\n", storetest.PDQValue(i))
		}
		req, _ := http.NewRequest("POST", "http://"+seed+"/api/v1/signals/batch", &body)
		req.Header.Set("Authorization", "Bearer "+keys.platform)
		req.Header.Set("Content-Type", "application/x-ndjson")
		res, err := replicaClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode != 200 || out["created"] != float64(chunk) {
			b.Fatalf("batch: %d %v", res.StatusCode, out)
		}
	}
	second := replicaServe(b, db)
	for _, n := range []int{1, 2} {
		addrs := []string{seed, second}[:n]
		for _, addr := range addrs { // both hold every signal before timing
			replicaLag(b, "bank loaded", func() bool { return replicaMatch(b, addr, keys.startup, signals-1) })
		}
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			var next atomic.Int64
			b.SetParallelism(8) // 16 clients on 2 cores
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					if !replicaMatch(b, addrs[i%int64(n)], keys.startup, int(i%signals)) {
						b.Error("no match")
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
