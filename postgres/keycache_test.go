package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/postgres"
	"github.com/kspplatform/ksp/postgres/pgtest"
	"github.com/kspplatform/ksp/storetest"
)

// patience bounds every wait for something another connection does
// (a notification, a reconnection). The tests wait for outcomes, never
// for a duration.
const patience = 5 * time.Second

// openAt opens a store on url (two calls with one url: two replicas).
func openAt(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// eventually polls cond until it holds, failing the test after patience.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(patience); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after %v", what, patience)
		}
	}
}

func live(t *testing.T, db *postgres.DB) {
	t.Helper()
	eventually(t, "listening", db.KeyCacheLive)
}

// resolve returns the actor of key on db, failing the test on an error.
func resolve(t *testing.T, db *postgres.DB, key string) *ksp.Actor {
	t.Helper()
	a, err := db.ActorForKey(context.Background(), key)
	if err != nil {
		t.Fatalf("resolve key: %v", err)
	}
	return a
}

// cached resolves key on db until the cache answers (a notification of an
// earlier write may flush it in between) and returns that answer.
func cached(t *testing.T, db *postgres.DB, key string) *ksp.Actor {
	t.Helper()
	var a *ksp.Actor
	eventually(t, "served from the cache", func() bool {
		before := db.KeyCacheHits()
		a = resolve(t, db, key)
		return db.KeyCacheHits() > before
	})
	return a
}

func refused(db *postgres.DB, key string) bool {
	_, err := db.ActorForKey(context.Background(), key)
	return ksp.ErrorCode(err) == ksp.EUNAUTHORIZED
}

func newKey(t *testing.T, ctx context.Context, db storetest.Store, scopes ...ksp.Scope) *ksp.APIKey {
	t.Helper()
	k, err := db.CreateAPIKey(ctx, ksp.NewAPIKey{Name: "cached", Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeyCacheOneStore: a cached key is refused by the store that revoked
// it at once, a cached answer is a copy, unknown keys are not cached, and
// a cached key's expiry is checked on every hit.
func TestKeyCacheOneStore(t *testing.T) {
	db := open(t)
	live(t, db)
	// Without the triggers, no notification can flush the cache: what
	// follows relies on the store's own flush at commit.
	for _, table := range []string{"api_keys", "users", "orgs"} {
		if _, err := db.SQL().ExecContext(context.Background(), "DROP TRIGGER "+table+"_auth_notify ON "+table); err != nil {
			t.Fatal(err)
		}
	}
	f := storetest.NewFixture(t, db)
	admin := storetest.As(f.Platform, f.PlatAdmin)
	k := newKey(t, admin, db, ksp.ScopeRead, ksp.ScopeMatch)

	a := cached(t, db, k.Secret)
	if a.APIKeyID != k.ID || a.UserID != f.PlatAdmin.ID || a.Role != ksp.RoleAdmin || !slices.Equal(a.Scopes, k.Scopes) {
		t.Fatalf("cached actor %+v", a)
	}
	a.Scopes[0], a.Role = ksp.ScopeAdmin, "mangled"
	if b := cached(t, db, k.Secret); b.Role != ksp.RoleAdmin || !slices.Equal(b.Scopes, k.Scopes) {
		t.Fatalf("a caller's change reached the cache: %+v", b)
	}

	n := db.KeyCacheLen()
	for range 3 {
		if !refused(db, "ksp_"+strings.Repeat("x", 40)) {
			t.Fatal("unknown key accepted")
		}
	}
	if db.KeyCacheLen() > n {
		t.Fatal("an unknown key was cached")
	}

	// Every write that changes what a key resolves to flushes at commit.
	if err := db.RevokeAPIKey(admin, k.ID); err != nil {
		t.Fatal(err)
	}
	if !refused(db, k.Secret) {
		t.Fatal("revoked key still accepted by the store that revoked it")
	}
	kd, err := db.CreateAPIKey(admin, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead}, Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	cached(t, db, kd.Secret)
	if err := db.RevokeDemoAPIKeys(storetest.Staff()); err != nil {
		t.Fatal(err)
	}
	if !refused(db, kd.Secret) {
		t.Fatal("revoked demo key still accepted")
	}
	kv := newKey(t, storetest.As(f.Platform, f.PlatView), db, ksp.ScopeRead)
	cached(t, db, kv.Secret)
	if err := db.DeleteUser(admin, f.PlatView.ID); err != nil {
		t.Fatal(err)
	}
	if !refused(db, kv.Secret) {
		t.Fatal("removed user's key still accepted")
	}
	kg := newKey(t, storetest.As(f.Gov, f.GovAdmin), db, ksp.ScopeRead)
	cached(t, db, kg.Secret)
	suspended := ksp.OrgStatusSuspended
	if _, err := db.UpdateOrg(storetest.Staff(), f.Gov.ID, ksp.OrgUpdate{Status: &suspended}); err != nil {
		t.Fatal(err)
	}
	if !resolve(t, db, kg.Secret).Suspended {
		t.Fatal("suspended org's key not marked suspended")
	}
	ks := newKey(t, storetest.As(f.Startup, f.StartAdm), db, ksp.ScopeRead, ksp.ScopeSubmit)
	cached(t, db, ks.Secret)
	viewer := ksp.RoleViewer
	if _, err := db.UpdateUser(storetest.Staff(), f.StartAdm.ID, ksp.UserUpdate{Role: &viewer}); err != nil {
		t.Fatal(err)
	}
	if act := resolve(t, db, ks.Secret); act.Role != ksp.RoleViewer || !slices.Equal(act.Scopes, []ksp.Scope{ksp.ScopeRead}) {
		t.Fatalf("after the role change: %+v", act)
	}

	exp := ksp.T(time.Now().Add(1500 * time.Millisecond))
	ke, err := db.CreateAPIKey(admin, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead}, Expires: &exp})
	if err != nil {
		t.Fatal(err)
	}
	cached(t, db, ke.Secret)
	time.Sleep(time.Until(exp.Time) + 10*time.Millisecond)
	if !refused(db, ke.Secret) {
		t.Fatal("expired key still accepted from the cache")
	}
}

// TestKeyCacheReplicas: two stores on one database, as two replicas. What
// A changes, B stops accepting from its cache once A's notification
// arrives: revocation, removal of the key's user, suspension of its org, a
// role change that narrows its scopes, and changes made by hand in SQL.
func TestKeyCacheReplicas(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := openAt(t, url), openAt(t, url)
	live(t, a)
	live(t, b)
	f := storetest.NewFixture(t, a)
	admin := storetest.As(f.Platform, f.PlatAdmin)
	ctx := context.Background()

	t.Run("revoke", func(t *testing.T) {
		k := newKey(t, admin, a, ksp.ScopeRead)
		cached(t, b, k.Secret)
		if err := a.RevokeAPIKey(admin, k.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "refused on B after revocation on A", func() bool { return refused(b, k.Secret) })
	})
	t.Run("remove user", func(t *testing.T) {
		k := newKey(t, storetest.As(f.Platform, f.PlatView), a, ksp.ScopeRead)
		cached(t, b, k.Secret)
		if err := a.DeleteUser(admin, f.PlatView.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "refused on B after the user's removal on A", func() bool { return refused(b, k.Secret) })
	})
	t.Run("suspend org", func(t *testing.T) {
		k := newKey(t, storetest.As(f.Gov, f.GovAdmin), a, ksp.ScopeRead)
		if act := cached(t, b, k.Secret); act.Suspended {
			t.Fatal("suspended before suspension")
		}
		suspended := ksp.OrgStatusSuspended
		if _, err := a.UpdateOrg(storetest.Staff(), f.Gov.ID, ksp.OrgUpdate{Status: &suspended}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "suspended on B after suspension on A", func() bool { return resolve(t, b, k.Secret).Suspended })
	})
	t.Run("role narrows scopes", func(t *testing.T) {
		k := newKey(t, storetest.As(f.Startup, f.StartAdm), a, ksp.ScopeRead, ksp.ScopeSubmit, ksp.ScopeAdmin)
		cached(t, b, k.Secret)
		viewer := ksp.RoleViewer
		if _, err := a.UpdateUser(storetest.Staff(), f.StartAdm.ID, ksp.UserUpdate{Role: &viewer}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "narrowed on B after the role change on A", func() bool {
			act := resolve(t, b, k.Secret)
			return act.Role == ksp.RoleViewer && slices.Equal(act.Scopes, []ksp.Scope{ksp.ScopeRead})
		})
	})
	t.Run("by hand in SQL", func(t *testing.T) {
		k := newKey(t, admin, a, ksp.ScopeRead)
		cached(t, a, k.Secret)
		cached(t, b, k.Secret)
		if _, err := a.SQL().ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2`, time.Now().UnixMicro(), k.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "refused on A after a revocation in SQL", func() bool { return refused(a, k.Secret) })
		eventually(t, "refused on B after a revocation in SQL", func() bool { return refused(b, k.Secret) })
	})
}

// TestKeyCacheListenerDown: while B's listener is down, B answers from
// the database (so A's revocations are seen at once); the cache resumes,
// empty, once it is back.
func TestKeyCacheListenerDown(t *testing.T) {
	url := pgtest.Schema(t)
	a := openAt(t, url)
	gate := make(chan struct{}, 1)
	gate <- struct{}{}
	b, err := postgres.OpenGated(context.Background(), url, gate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	live(t, b)
	f := storetest.NewFixture(t, a)
	admin := storetest.As(f.Platform, f.PlatAdmin)
	k1 := newKey(t, admin, a, ksp.ScopeRead)
	k2 := newKey(t, admin, a, ksp.ScopeRead)
	cached(t, b, k1.Secret)
	cached(t, b, k2.Secret)

	// Kill B's listener as an operator would, by its name in pg_stat_activity.
	var killed bool
	if err := a.SQL().QueryRowContext(context.Background(),
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND application_name = 'ksp key listener'`,
		int64(b.KeyListenerPID())).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate B's listener: %v %v", killed, err)
	}
	eventually(t, "off after the listener was killed", func() bool { return !b.KeyCacheLive() })

	hits := b.KeyCacheHits()
	for range 3 {
		if act := resolve(t, b, k1.Secret); act.APIKeyID != k1.ID {
			t.Fatalf("actor %+v", act)
		}
	}
	if b.KeyCacheHits() != hits || b.KeyCacheLen() != 0 {
		t.Fatal("cache used while its listener is down")
	}
	if err := a.RevokeAPIKey(admin, k1.ID); err != nil {
		t.Fatal(err)
	}
	if !refused(b, k1.Secret) {
		t.Fatal("key revoked on A accepted by B while B's listener is down")
	}
	// A notification B cannot receive: k2 was cached before the listener died.
	if err := a.RevokeAPIKey(admin, k2.ID); err != nil {
		t.Fatal(err)
	}

	gate <- struct{}{}
	live(t, b)
	if !refused(b, k2.Secret) {
		t.Fatal("key revoked while B's listener was down accepted after it came back")
	}
	k3 := newKey(t, admin, a, ksp.ScopeRead)
	cached(t, b, k3.Secret)
}
