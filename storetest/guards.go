package storetest

import (
	"context"
	"testing"

	"github.com/kspplatform/ksp"
)

// keyActor resolves a key the way the API does and returns a context acting
// through it.
func keyActor(t *testing.T, db Store, ctx context.Context, scopes ...ksp.Scope) context.Context {
	t.Helper()
	k, err := db.CreateAPIKey(ctx, ksp.NewAPIKey{Name: "creator", Scopes: scopes})
	must(t, err)
	a, err := db.ActorForKey(context.Background(), k.Secret)
	must(t, err)
	return ksp.NewContext(context.Background(), a)
}

// testKeyScopeSubset: a key creates only keys whose scopes are a subset of
// its own; a session creates keys within its role.
func testKeyScopeSubset(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	admin := As(f.Platform, f.PlatAdmin)
	staffUser := As(f.StaffOrg(t), f.StaffUser)
	adminKey := keyActor(t, db, admin, ksp.ScopeRead, ksp.ScopeAdmin)
	staffKey := keyActor(t, db, staffUser, ksp.ScopeRead, ksp.ScopeAdmin)
	tests := []struct {
		name   string
		ctx    context.Context
		nk     ksp.NewAPIKey
		wantOK bool
	}{
		{"key: same scopes", adminKey, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead, ksp.ScopeAdmin}}, true},
		{"key: fewer scopes", adminKey, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead}}, true},
		{"key: a scope it lacks", adminKey, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead, ksp.ScopeSubmit}}, false},
		{"key: only scopes it lacks", adminKey, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeMatch}}, false},
		{"key: for another user, a scope it lacks", adminKey, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeMatch}, UserID: f.PlatView.ID}, false},
		{"key: for another user, within both", adminKey, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead}, UserID: f.PlatView.ID}, true},
		{"staff key: a scope it lacks", staffKey, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeSubmit}}, false},
		{"staff key: within", staffKey, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeAdmin}}, true},
		{"session: every scope of the role", admin, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead, ksp.ScopeSubmit, ksp.ScopeMatch, ksp.ScopeAdmin}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := db.CreateAPIKey(tt.ctx, tt.nk)
			if !tt.wantOK {
				wantCode(t, err, ksp.EINVALID)
				return
			}
			must(t, err)
			if len(k.Scopes) != len(tt.nk.Scopes) {
				t.Fatalf("scopes %v, want %v", k.Scopes, tt.nk.Scopes)
			}
		})
	}
}

// testSuspendedOrgAdmin: a suspended org's admin adds no users and creates
// no keys, even through a credential resolved before the suspension; staff
// still may; reinstated, the admin may again.
func testSuspendedOrgAdmin(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	// Resolved while the org was a member: Suspended is false in it, and
	// the store must look at the org itself.
	stale := As(f.Startup, f.StartAdm)
	staleKey := keyActor(t, db, stale, ksp.ScopeRead, ksp.ScopeAdmin)
	st := ksp.OrgStatusSuspended
	_, err := db.UpdateOrg(Staff(), f.Startup.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)
	suspended := *f.Startup
	suspended.Status = st
	fresh := As(&suspended, f.StartAdm)
	users := func() int {
		t.Helper()
		us, _, err := db.FindUsers(Staff(), f.Startup.ID, ksp.Page{})
		must(t, err)
		return len(us)
	}
	before := users()
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{{"session", fresh}, {"stale session", stale}} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := db.CreateUser(c.ctx, f.Startup.ID, ksp.NewUser{Email: "new@tiny.example", Role: ksp.RoleViewer})
			wantCode(t, err, ksp.EFORBIDDEN)
			_, err = db.CreateAPIKey(c.ctx, ksp.NewAPIKey{Name: "k", Scopes: []ksp.Scope{ksp.ScopeRead}})
			wantCode(t, err, ksp.EFORBIDDEN)
		})
	}
	_, err = db.CreateAPIKey(staleKey, ksp.NewAPIKey{Name: "k", Scopes: []ksp.Scope{ksp.ScopeRead}})
	wantCode(t, err, ksp.EFORBIDDEN)
	if n := users(); n != before {
		t.Fatalf("%d users after refusals, want %d", n, before)
	}
	// Staff still act for a suspended org.
	_, _, err = db.CreateUser(Staff(), f.Startup.ID, ksp.NewUser{Email: "helper@tiny.example", Role: ksp.RoleViewer})
	must(t, err)
	_, err = db.CreateAPIKey(Staff(), ksp.NewAPIKey{Name: "k", Scopes: []ksp.Scope{ksp.ScopeRead}, UserID: f.StartAdm.ID})
	must(t, err)
	// Reinstated, the admin manages its org again.
	mem := ksp.OrgStatusMember
	_, err = db.UpdateOrg(Staff(), f.Startup.ID, ksp.OrgUpdate{Status: &mem})
	must(t, err)
	_, _, err = db.CreateUser(stale, f.Startup.ID, ksp.NewUser{Email: "new@tiny.example", Role: ksp.RoleViewer})
	must(t, err)
	_, err = db.CreateAPIKey(stale, ksp.NewAPIKey{Name: "k", Scopes: []ksp.Scope{ksp.ScopeRead}})
	must(t, err)
}

// testSecretariatName: no member names itself like the staff org, on
// applying, on creation or approval, or on renaming; the comparison folds
// case, spaces and lookalike letters, and follows the staff org's name.
func testSecretariatName(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	staffName := f.StaffOrg(t).Name
	app := func(name string) ksp.NewApplication {
		return ksp.NewApplication{OrgName: name, Kind: ksp.KindCivilSociety, Website: "https://ngo.example", ContactName: "Ada",
			ContactEmail: "ada@ngo.example", Motivation: "we research extremism"}
	}
	wantField := func(t *testing.T, err error, field string) {
		t.Helper()
		wantCode(t, err, ksp.EINVALID)
		if fe := err.(*ksp.Error).Fields; len(fe) != 1 || fe[0].Field != field {
			t.Fatalf("fields %v, want %s", fe, field)
		}
	}
	tests := []struct {
		name string
		same bool
	}{
		{staffName, true},
		{"  ksp   SECRETARIAT ", true},
		{"KSP\u00a0Secretariat", true},
		{"K.S.P. Secretariat", true},
		{"KSP Sеcrеtariat", true}, // Cyrillic е
		{"ＫＳＰ Secretariat", true},
		{"KSP Secretar1at", true},
		{"KSP Secretariat Watch", false},
	}
	admin := As(f.Platform, f.PlatAdmin)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.CreateApplication(context.Background(), app(tt.name))
			name := tt.name
			_, rerr := db.UpdateOrg(admin, f.Platform.ID, ksp.OrgUpdate{Name: &name})
			cerr := db.CreateOrg(Staff(), &ksp.Org{Name: tt.name, Kind: ksp.KindAcademia})
			if !tt.same {
				must(t, err)
				must(t, rerr)
				must(t, cerr)
				return
			}
			wantField(t, err, "org_name")
			wantField(t, rerr, "name")
			wantField(t, cerr, "name")
		})
	}
	// An application made before the secretariat took a lookalike name is
	// stopped at approval.
	pending, err := db.CreateApplication(context.Background(), app("Programme Office"))
	must(t, err)
	newName := "Programme Office"
	_, err = db.UpdateOrg(Staff(), ksp.StaffOrgID, ksp.OrgUpdate{Name: &newName})
	must(t, err)
	_, err = db.ApproveApplication(Staff(), pending.ID, ksp.Decision{})
	wantField(t, err, "name")
	_, err = db.CreateApplication(context.Background(), app("programme  office"))
	wantField(t, err, "org_name")
	// The old name is free once the secretariat no longer bears it.
	_, err = db.CreateApplication(context.Background(), app(staffName))
	must(t, err)
}
