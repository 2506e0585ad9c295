package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/storetest"
)

// BenchmarkMatchRequest measures one authenticated single-hash match
// request through the whole handler (key lookup, JSON, matcher, logging,
// metrics) against a small bank, so that the cost is the request's, not
// the index's.
func BenchmarkMatchRequest(b *testing.B) {
	e := newEnv(b, httpapi.Config{KeyRate: 1e9, KeyBurst: 1e9, IPRate: 1e9, IPBurst: 1e9})
	for i := 0; i < 100; i++ {
		e.do("POST", "/api/v1/signals", e.keys["admin"], submission(i, ksp.DistMembers, ksp.TLPGreen))
	}
	body := []byte(`{"queries":[{"type":"pdq","value":"` + storetest.PDQValue(7) + `"}]}`)
	client := &http.Client{}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/match", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.keys["startup"])
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}
