package postgres

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// TestKeyCacheRules checks the cache alone: off means empty and unused, a
// fill that raced an invalidation is dropped, the size is bounded, entries
// and keys expire.
func TestKeyCacheRules(t *testing.T) {
	c := newKeyCache()
	now := time.Now()
	h := sha256.Sum256([]byte("k"))
	a := &ksp.Actor{APIKeyID: "k", Scopes: []ksp.Scope{ksp.ScopeRead}}

	gen, live := c.generation()
	c.put(h, gen, a, nil, now)
	if _, ok := c.get(h, now); ok || live {
		t.Fatal("cache used while off")
	}

	c.setLive(true)
	gen, _ = c.generation()
	c.flush() // an invalidation while the lookup read the database
	c.put(h, gen, a, nil, now)
	if _, ok := c.get(h, now); ok {
		t.Fatal("a fill older than an invalidation was kept")
	}

	gen, _ = c.generation()
	c.put(h, gen, a, nil, now)
	if got, ok := c.get(h, now); !ok || got.APIKeyID != "k" {
		t.Fatal("fill not kept")
	}
	if _, ok := c.get(h, now.Add(keyCacheTTL)); ok {
		t.Fatal("entry outlived its TTL")
	}

	exp := ksp.T(now.Add(time.Second))
	c.put(h, gen, a, &exp, now)
	if _, ok := c.get(h, now.Add(time.Second)); ok {
		t.Fatal("expired key served")
	}

	for i := range keyCacheSize + 50 {
		c.put(sha256.Sum256([]byte{byte(i), byte(i >> 8)}), gen, a, nil, now)
	}
	if n := len(c.entries); n != keyCacheSize {
		t.Fatalf("%d entries, want at most %d", n, keyCacheSize)
	}

	c.setLive(false)
	if len(c.entries) != 0 {
		t.Fatal("entries kept when the cache went off")
	}
}
