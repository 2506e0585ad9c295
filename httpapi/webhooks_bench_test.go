package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/storetest"
)

// BenchmarkEventsFanOut times one incident event from its commit to the
// moment every one of 1,000 live-feed subscribers has read it.
func BenchmarkEventsFanOut(b *testing.B) {
	const subscribers = 1000
	e := newEnv(b, httpapi.Config{KeyRate: 1e9, KeyBurst: 1e9, IPRate: 1e9, IPBurst: 1e9})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: subscribers}}
	var received atomic.Int64
	var ready, done sync.WaitGroup
	for i := 0; i < subscribers; i++ {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/events", nil)
			req.Header.Set("Authorization", "Bearer "+e.keys["viewer"])
			req.Header.Set("Accept", "text/event-stream")
			res, err := client.Do(req)
			if err != nil {
				ready.Done()
				b.Error(err)
				return
			}
			defer res.Body.Close()
			rd := bufio.NewReader(res.Body)
			first := true
			for {
				line, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if first { // the retry line: subscribed
					first = false
					ready.Done()
				}
				if strings.HasPrefix(line, "data: ") {
					received.Add(1)
				}
			}
		}()
	}
	ready.Wait()
	time.Sleep(200 * time.Millisecond) // every feed is waiting
	s := ksp.Sharing{OwnerOrgID: ksp.StaffOrgID, Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		want := int64(subscribers * (i + 1))
		if _, err := e.fx.DB.AppendEvent(storetest.Staff(), ksp.EventIncidentUpdated, "incident", s, map[string]int{"i": i}); err != nil {
			b.Fatal(err)
		}
		for received.Load() < want {
			time.Sleep(100 * time.Microsecond)
		}
	}
	b.StopTimer()
	cancel()
	done.Wait()
}
