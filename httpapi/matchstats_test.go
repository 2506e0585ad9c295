package httpapi_test

import (
	"testing"

	"github.com/kspplatform/ksp"
)

// TestSignalMatchesRoute: a signal's match figures go to the orgs that
// submitted it and to staff; another member that sees the signal is
// refused, one that does not see it gets 404, and a key needs the read
// scope. (The figures themselves are the conformance suite's.)
func TestSignalMatchesRoute(t *testing.T) {
	e := newEnv(t, fast())
	id := func(key string, in map[string]any) string {
		r := e.do("POST", "/api/v1/signals", e.keys[key], in)
		if r.status != 201 {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
		return r.json(t)["id"].(string)
	}
	shared := id("admin", submission(1, ksp.DistMembers, ksp.TLPGreen))
	private := id("admin", submission(2, ksp.DistOwner, ksp.TLPRed))
	for _, tt := range []struct {
		key, signal string
		status      int
	}{
		{"admin", shared, 200},
		{"admin-readonly", shared, 200},
		{"viewer", private, 200},
		{"staff", private, 200},
		{"startup", shared, 403},
		{"startup", private, 404},
		{"admin-matchonly", shared, 403},
		{"", shared, 401},
	} {
		r := e.do("GET", "/api/v1/signals/"+tt.signal+"/matches", e.keys[tt.key], nil)
		if r.status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.key, r.status, r.body, tt.status)
			continue
		}
		if r.status == 200 {
			if got := r.json(t); got["signal_id"] != tt.signal || got["months"] == nil {
				t.Errorf("%s: %s", tt.key, r.body)
			}
		}
	}
}
