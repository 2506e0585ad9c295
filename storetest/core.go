package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

func testMigrations(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	count := func() int {
		var n int
		must(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n))
		return n
	}
	before := count()
	if before == 0 {
		t.Fatal("no migrations recorded")
	}
	for i := 0; i < 2; i++ {
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
	}
	if after := count(); after != before {
		t.Fatalf("migrations applied again: %d then %d", before, after)
	}
	var orgs int
	must(t, db.SQL().QueryRowContext(ctx, db.Rebind(`SELECT COUNT(*) FROM orgs WHERE id = ?`), ksp.StaffOrgID).Scan(&orgs))
	if orgs != 1 {
		t.Fatalf("staff org rows = %d, want 1", orgs)
	}
}

// testSharingRuleSQL checks that the SQL form of the sharing rule selects
// exactly what ksp.CanSee allows, for every distribution × TLP × viewer.
func testSharingRuleSQL(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	ctx := Staff()
	// A fourth org, suspended.
	susp := &ksp.Org{Name: "Suspended Co", Kind: ksp.KindCivilSociety}
	must(t, db.CreateOrg(ctx, susp))
	st := ksp.OrgStatusSuspended
	_, err := db.UpdateOrg(ctx, susp.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)

	type item struct {
		s  ksp.Sharing
		id string
	}
	var items []item
	for _, s := range validSharings(f.Platform.ID, f.Startup.ID) {
		e, err := db.AppendEvent(ctx, ksp.EventIncidentUpdated, ksp.NewID(), s, map[string]string{"d": string(s.Distribution), "tlp": string(s.TLP)})
		must(t, err)
		items = append(items, item{s, e.ID})
	}
	viewers := []struct {
		name string
		v    ksp.Viewer
	}{
		{"staff", ksp.Viewer{OrgID: ksp.StaffOrgID, Staff: true}},
		{"owner", ksp.Viewer{OrgID: f.Platform.ID}},
		{"audience member", ksp.Viewer{OrgID: f.Startup.ID}},
		{"other member", ksp.Viewer{OrgID: f.Gov.ID}},
		{"suspended org", ksp.Viewer{OrgID: susp.ID, Suspended: true}},
		{"suspended owner", ksp.Viewer{OrgID: f.Platform.ID, Suspended: true}},
		{"anonymous", ksp.Viewer{}},
	}
	for _, vw := range viewers {
		t.Run(vw.name, func(t *testing.T) {
			var actx context.Context = context.Background()
			if !vw.v.Anonymous() {
				actx = ksp.NewContext(actx, &ksp.Actor{OrgID: vw.v.OrgID, Staff: vw.v.Staff, Suspended: vw.v.Suspended, Role: ksp.RoleViewer})
			}
			evs, err := db.FindEventsAfter(actx, 0, 1000)
			must(t, err)
			var got, want []string
			for _, e := range evs {
				got = append(got, e.ID)
			}
			for _, it := range items {
				if ksp.CanSee(vw.v, it.s) {
					want = append(want, it.id)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("SQL rule selected %d events, ksp.CanSee %d\n got %v\nwant %v", len(got), len(want), got, want)
			}
			// Paging must never be cut by invisible items: a page of 2
			// after each visible seq still returns visible items only.
			if len(evs) > 0 {
				page, err := db.FindEventsAfter(actx, evs[0].Seq, 2)
				must(t, err)
				if len(want) > 1 && (len(page) == 0 || page[0].ID != want[1]) {
					t.Fatalf("second page starts at %v, want %s", page, want[1])
				}
			}
		})
	}
}

func testApplications(t *testing.T, open Opener) {
	db := open(t)
	anon := context.Background()
	good := ksp.NewApplication{OrgName: "Clip Share", Kind: ksp.KindPlatform, Size: ksp.SizeStartup, Website: "https://clipshare.example",
		Domains: []string{"ClipShare.example"}, ContactName: "Ada", ContactEmail: "ada@clipshare.example", Motivation: "We host short videos."}
	bad := []struct {
		name  string
		mod   func(*ksp.NewApplication)
		field string
	}{
		{"unknown kind", func(a *ksp.NewApplication) { a.Kind = "company" }, "kind"},
		{"platform without size", func(a *ksp.NewApplication) { a.Size = "" }, "size"},
		{"size on government", func(a *ksp.NewApplication) { a.Kind = ksp.KindGovernment }, "size"},
		{"invalid email", func(a *ksp.NewApplication) { a.ContactEmail = "ada at clipshare" }, "contact_email"},
		{"display-name email", func(a *ksp.NewApplication) { a.ContactEmail = "Ada <ada@clipshare.example>" }, "contact_email"},
		{"no motivation", func(a *ksp.NewApplication) { a.Motivation = " " }, "motivation"},
		{"bad domain", func(a *ksp.NewApplication) { a.Domains = []string{"not a domain"} }, "domains"},
		{"bad website", func(a *ksp.NewApplication) { a.Website = "ftp://x" }, "website"},
		{"no name", func(a *ksp.NewApplication) { a.OrgName = "" }, "org_name"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			a := good
			a.Domains = slices.Clone(good.Domains)
			tc.mod(&a)
			_, err := db.CreateApplication(anon, a)
			wantCode(t, err, ksp.EINVALID)
			if fe := err.(*ksp.Error).Fields; len(fe) == 0 || fe[0].Field != tc.field {
				t.Fatalf("fields %v, want %s", fe, tc.field)
			}
		})
	}
	if apps, _, err := db.FindApplications(Staff(), ksp.ApplicationFilter{}); err != nil || len(apps) != 0 {
		t.Fatalf("rejected input was written: %d applications, %v", len(apps), err)
	}
	app, err := db.CreateApplication(anon, good)
	must(t, err)
	if app.Status != ksp.AppPending || app.Domains[0] != "clipshare.example" {
		t.Fatalf("application %+v", app)
	}
	_, _, err = db.FindApplications(anon, ksp.ApplicationFilter{})
	wantCode(t, err, ksp.EUNAUTHORIZED)
	f := NewFixture(t, db)
	_, err = db.ApproveApplication(As(f.Platform, f.PlatAdmin), app.ID, ksp.Decision{})
	wantCode(t, err, ksp.EFORBIDDEN)
	appr, err := db.ApproveApplication(Staff(), app.ID, ksp.Decision{})
	must(t, err)
	if appr.Org.Kind != ksp.KindPlatform || appr.Admin.Role != ksp.RoleAdmin || appr.Invitation == nil || appr.Invitation.Token == "" {
		t.Fatalf("approval %+v", appr)
	}
	_, err = db.ApproveApplication(Staff(), app.ID, ksp.Decision{})
	wantCode(t, err, ksp.ECONFLICT)
	// The invitation sets a password once.
	_, err = db.AcceptInvitation(anon, appr.Invitation.Token, "short")
	wantCode(t, err, ksp.EINVALID)
	u, err := db.AcceptInvitation(anon, appr.Invitation.Token, "a long enough password")
	must(t, err)
	if u.Status != ksp.UserActive {
		t.Fatalf("status %s after accepting", u.Status)
	}
	_, err = db.AcceptInvitation(anon, appr.Invitation.Token, "another long password")
	wantCode(t, err, ksp.EINVALID)
	if _, err := db.Authenticate(anon, "ada@clipshare.example", "a long enough password"); err != nil {
		t.Fatalf("sign in after invitation: %v", err)
	}
	_, err = db.Authenticate(anon, "ada@clipshare.example", "wrong password!!")
	wantCode(t, err, ksp.EUNAUTHORIZED)
	_, err = db.Authenticate(anon, "nobody@clipshare.example", "wrong password!!")
	wantCode(t, err, ksp.EUNAUTHORIZED)

	app2, err := db.CreateApplication(anon, ksp.NewApplication{OrgName: "Think Tank", Kind: ksp.KindAcademia, Website: "https://tt.example", ContactName: "B", ContactEmail: "b@tt.example", Motivation: "research"})
	must(t, err)
	_, err = db.RejectApplication(Staff(), app2.ID, ksp.Decision{})
	wantCode(t, err, ksp.EINVALID)
	rej, err := db.RejectApplication(Staff(), app2.ID, ksp.Decision{Reason: "not in scope"})
	must(t, err)
	if rej.Status != ksp.AppRejected {
		t.Fatalf("status %s", rej.Status)
	}
	pending := ksp.AppPending
	if apps, _, _ := db.FindApplications(Staff(), ksp.ApplicationFilter{Status: &pending}); len(apps) != 0 {
		t.Fatalf("%d pending after decisions", len(apps))
	}
}

func testUsers(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	admin := As(f.Platform, f.PlatAdmin)
	viewer := As(f.Platform, f.PlatView)
	outsider := As(f.Startup, f.StartAdm)

	u, inv, err := db.CreateUser(admin, f.Platform.ID, ksp.NewUser{Email: "New.Analyst@Big.example", Role: ksp.RoleAnalyst})
	must(t, err)
	if u.Email != "new.analyst@big.example" || inv == nil || u.Status != ksp.UserInvited {
		t.Fatalf("user %+v invitation %+v", u, inv)
	}
	_, _, err = db.CreateUser(admin, f.Platform.ID, ksp.NewUser{Email: "new.analyst@big.example", Role: ksp.RoleAnalyst})
	wantCode(t, err, ksp.ECONFLICT)
	_, _, err = db.CreateUser(admin, f.Platform.ID, ksp.NewUser{Email: "x@big.example", Role: "owner"})
	wantCode(t, err, ksp.EINVALID)
	_, _, err = db.CreateUser(viewer, f.Platform.ID, ksp.NewUser{Email: "y@big.example", Role: ksp.RoleViewer})
	wantCode(t, err, ksp.EFORBIDDEN)
	_, _, err = db.CreateUser(outsider, f.Platform.ID, ksp.NewUser{Email: "z@big.example", Role: ksp.RoleViewer})
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.FindUserByID(outsider, u.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	users, _, err := db.FindUsers(admin, f.Platform.ID, ksp.Page{})
	must(t, err)
	if len(users) != 3 {
		t.Fatalf("%d users, want 3", len(users))
	}
	role := ksp.RoleViewer
	u2, err := db.UpdateUser(admin, u.ID, ksp.UserUpdate{Role: &role})
	must(t, err)
	if u2.Role != ksp.RoleViewer {
		t.Fatalf("role %s", u2.Role)
	}
	must(t, db.DeleteUser(admin, u.ID))
	_, err = db.FindUserByID(admin, u.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	err = db.DeleteUser(admin, f.PlatAdmin.ID)
	wantCode(t, err, ksp.EINVALID)
}

func testAPIKeys(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	admin := As(f.Platform, f.PlatAdmin)
	viewer := As(f.Platform, f.PlatView)
	k, err := db.CreateAPIKey(admin, ksp.NewAPIKey{Name: "scanner", Scopes: []ksp.Scope{ksp.ScopeRead, ksp.ScopeMatch}})
	must(t, err)
	if !ksp.WellFormedAPIKey(k.Secret) {
		t.Fatalf("secret %q", k.Secret)
	}
	// Only the hash is stored.
	var n int
	must(t, db.SQL().QueryRowContext(context.Background(), db.Rebind(`SELECT COUNT(*) FROM api_keys WHERE secret_hash = ?`), ksp.HashSecret(k.Secret)).Scan(&n))
	if n != 1 {
		t.Fatal("key not stored by hash")
	}
	must(t, db.SQL().QueryRowContext(context.Background(), db.Rebind(`SELECT COUNT(*) FROM api_keys WHERE secret_hash = ? OR prefix = ?`), k.Secret, k.Secret).Scan(&n))
	if n != 0 {
		t.Fatal("secret stored in clear")
	}
	a, err := db.ActorForKey(context.Background(), k.Secret)
	must(t, err)
	if a.OrgID != f.Platform.ID || a.UserID != f.PlatAdmin.ID || !a.HasScope(ksp.ScopeMatch) || a.HasScope(ksp.ScopeSubmit) {
		t.Fatalf("actor %+v", a)
	}
	keys, _, err := db.FindAPIKeys(admin, ksp.APIKeyFilter{})
	must(t, err)
	if len(keys) != 1 || keys[0].Secret != "" {
		t.Fatalf("keys %+v", keys)
	}
	// Scopes within the role; governments get no match scope.
	_, err = db.CreateAPIKey(viewer, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeSubmit}})
	wantCode(t, err, ksp.EINVALID)
	_, err = db.CreateAPIKey(As(f.Gov, f.GovAdmin), ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeMatch}})
	wantCode(t, err, ksp.EINVALID)
	_, err = db.CreateAPIKey(admin, ksp.NewAPIKey{Scopes: []ksp.Scope{"everything"}})
	wantCode(t, err, ksp.EINVALID)
	past := ksp.T(time.Now().Add(-time.Hour))
	_, err = db.CreateAPIKey(admin, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead}, Expires: &past})
	wantCode(t, err, ksp.EINVALID)

	// Revocation is effective at once.
	must(t, db.RevokeAPIKey(admin, k.ID))
	_, err = db.ActorForKey(context.Background(), k.Secret)
	wantCode(t, err, ksp.EUNAUTHORIZED)
	// Expiry.
	soon := ksp.T(time.Now().Add(1500 * time.Millisecond))
	k2, err := db.CreateAPIKey(admin, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead}, Expires: &soon})
	must(t, err)
	_, err = db.ActorForKey(context.Background(), k2.Secret)
	must(t, err)
	_, err = db.SQL().ExecContext(context.Background(), db.Rebind(`UPDATE api_keys SET expires_at = ? WHERE id = ?`), time.Now().Add(-time.Second).UnixMicro(), k2.ID)
	must(t, err)
	changedByHand(db)
	_, err = db.ActorForKey(context.Background(), k2.Secret)
	wantCode(t, err, ksp.EUNAUTHORIZED)
	// Removing a user revokes its keys.
	k3, err := db.CreateAPIKey(viewer, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead}})
	must(t, err)
	must(t, db.DeleteUser(admin, f.PlatView.ID))
	_, err = db.ActorForKey(context.Background(), k3.Secret)
	wantCode(t, err, ksp.EUNAUTHORIZED)
	// Another org's key is invisible.
	k4, err := db.CreateAPIKey(As(f.Startup, f.StartAdm), ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead}})
	must(t, err)
	wantCode(t, db.RevokeAPIKey(admin, k4.ID), ksp.ENOTFOUND)
	// Demo keys are revoked together.
	k5, err := db.CreateAPIKey(admin, ksp.NewAPIKey{Scopes: []ksp.Scope{ksp.ScopeRead}, Demo: true})
	must(t, err)
	must(t, db.RevokeDemoAPIKeys(Staff()))
	_, err = db.ActorForKey(context.Background(), k5.Secret)
	wantCode(t, err, ksp.EUNAUTHORIZED)
	_, err = db.ActorForKey(context.Background(), "ksp_"+strings.Repeat("a", 40))
	wantCode(t, err, ksp.EUNAUTHORIZED)
}

func testOrgs(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	admin := As(f.Platform, f.PlatAdmin)
	orgs, _, err := db.FindOrgs(admin, ksp.OrgFilter{})
	must(t, err)
	if len(orgs) != 4 { // staff org + three members
		t.Fatalf("%d orgs visible, want 4", len(orgs))
	}
	o, err := db.FindOrgByID(admin, f.Platform.ID)
	must(t, err)
	if len(o.Domains) != 1 || !o.Domains[0].Verified {
		t.Fatalf("domains %+v", o.Domains)
	}
	name := "Big Platform Inc"
	o, err = db.UpdateOrg(admin, f.Platform.ID, ksp.OrgUpdate{Name: &name})
	must(t, err)
	if o.Name != name {
		t.Fatal("name not updated")
	}
	st := ksp.OrgStatusSuspended
	_, err = db.UpdateOrg(admin, f.Platform.ID, ksp.OrgUpdate{Status: &st})
	wantCode(t, err, ksp.EINVALID)
	_, err = db.UpdateOrg(As(f.Startup, f.StartAdm), f.Platform.ID, ksp.OrgUpdate{Name: &name})
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.AddDomain(admin, f.Platform.ID, "tiny-startup.example")
	wantCode(t, err, ksp.ECONFLICT)
	_, err = db.AddDomain(admin, f.Platform.ID, "not a domain")
	wantCode(t, err, ksp.EINVALID)
	o, err = db.AddDomain(admin, f.Platform.ID, "cdn.big.example")
	must(t, err)
	if len(o.Domains) != 2 {
		t.Fatalf("domains %+v", o.Domains)
	}
	_, err = db.VerifyDomain(admin, f.Platform.ID, "cdn.big.example")
	wantCode(t, err, ksp.EFORBIDDEN)
	o, err = db.VerifyDomain(Staff(), f.Platform.ID, "cdn.big.example")
	must(t, err)
	for _, d := range o.Domains {
		if !d.Verified {
			t.Fatalf("domain %s not verified", d.Domain)
		}
	}
	// Suspension: the suspended org sees only itself.
	_, err = db.UpdateOrg(Staff(), f.Startup.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)
	f.Startup.Status = st
	orgs, _, err = db.FindOrgs(As(f.Startup, f.StartAdm), ksp.OrgFilter{})
	must(t, err)
	if len(orgs) != 1 || orgs[0].ID != f.Startup.ID {
		t.Fatalf("suspended org sees %d orgs", len(orgs))
	}
	_, err = db.UpdateOrg(Staff(), ksp.StaffOrgID, ksp.OrgUpdate{Status: &st})
	wantCode(t, err, ksp.EINVALID)
}

func testAuditChain(t *testing.T, open Opener) {
	db := open(t)
	NewFixture(t, db)
	n, head, err := ksp.VerifyChain(context.Background(), db, "")
	must(t, err)
	if n < 10 {
		t.Fatalf("only %d audit events after the fixture", n)
	}
	evs, _, err := db.FindAuditEvents(Staff(), ksp.AuditFilter{Page: ksp.Page{Limit: 1}})
	must(t, err)
	if len(evs) != 1 || fmt.Sprintf("%d:%s", evs[0].Seq, evs[0].Hash) != head {
		t.Fatalf("newest event %+v, head %s", evs, head)
	}
	// Every write is attributed.
	if evs[0].Actor != "test" {
		t.Fatalf("actor %q", evs[0].Actor)
	}
	if _, _, err := ksp.VerifyChain(context.Background(), db, head); err != nil {
		t.Fatalf("verify with its own head: %v", err)
	}
	// Erasing personal details keeps the chain valid.
	var digest string
	for _, e := range mustEvents(t, db) {
		if e.Action == "user.create" {
			digest = e.DetailsDigest
			break
		}
	}
	must(t, db.EraseAuditDetails(Staff(), digest))
	if _, _, err := ksp.VerifyChain(context.Background(), db, head); err != nil {
		t.Fatalf("verify after erasure: %v", err)
	}
}

func mustEvents(t *testing.T, db interface {
	WalkAudit(context.Context, func(*ksp.AuditEvent) error) error
}) []*ksp.AuditEvent {
	var out []*ksp.AuditEvent
	must(t, db.WalkAudit(context.Background(), func(e *ksp.AuditEvent) error { out = append(out, e); return nil }))
	return out
}

// testAuditTampering edits, deletes, inserts and reorders events and
// truncates the tail, and expects verification to name the event.
func testAuditTampering(t *testing.T, open Opener) {
	cases := []struct {
		name   string
		sql    []string
		expect bool // verify with --expect-head
		want   string
	}{
		{"edited", []string{`UPDATE audit_events SET action = 'user.nothing' WHERE seq = 5`}, false, "event seq 5: hash mismatch"},
		{"edited details", []string{`UPDATE audit_details SET details = '{"email":"someone@else.example"}' WHERE digest = (SELECT details_digest FROM audit_events WHERE seq = 6)`}, false, "event seq 6: stored details"},
		{"deleted", []string{`DELETE FROM audit_events WHERE seq = 4`}, false, "event seq 5: expected seq 4"},
		{"inserted", []string{`UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 4`, `UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1004`,
			`INSERT INTO audit_events (seq, time, actor, org_id, action, object, details_digest, prev_hash, hash) SELECT 4, time, actor, org_id, action, object, details_digest, prev_hash, hash FROM audit_events WHERE seq = 3`}, false, "event seq 4: prev_hash"},
		{"reordered", []string{`UPDATE audit_events SET seq = -1 WHERE seq = 3`, `UPDATE audit_events SET seq = 3 WHERE seq = 4`, `UPDATE audit_events SET seq = 4 WHERE seq = -1`}, false, "event seq 3: prev_hash"},
		{"truncated", []string{`DELETE FROM audit_events WHERE seq > 7`}, true, "tail was truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := open(t)
			NewFixture(t, db)
			_, head, err := ksp.VerifyChain(context.Background(), db, "")
			must(t, err)
			for _, q := range tc.sql {
				if _, err := db.SQL().ExecContext(context.Background(), q); err != nil {
					t.Fatalf("tamper %q: %v", q, err)
				}
			}
			expect := ""
			if tc.expect {
				expect = head
			}
			_, _, err = ksp.VerifyChain(context.Background(), db, expect)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("verify after %s: %v, want %q", tc.name, err, tc.want)
			}
		})
	}
}

func testPagination(t *testing.T, open Opener) {
	db := open(t)
	ctx := Staff()
	for i := 0; i < 7; i++ {
		must(t, db.CreateOrg(ctx, &ksp.Org{Name: fmt.Sprintf("Org %d", i), Kind: ksp.KindAcademia}))
	}
	var all []string
	cursor := ""
	for pages := 0; ; pages++ {
		orgs, next, err := db.FindOrgs(ctx, ksp.OrgFilter{Page: ksp.Page{Limit: 3, Cursor: cursor}})
		must(t, err)
		for _, o := range orgs {
			all = append(all, o.ID)
		}
		if next == "" {
			break
		}
		cursor = next
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(all) != 8 || !slices.IsSortedFunc(all, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Fatalf("paged %d orgs (want 8, newest first): %v", len(all), all)
	}
	_, _, err := db.FindOrgs(ctx, ksp.OrgFilter{Page: ksp.Page{Cursor: "!!"}})
	wantCode(t, err, ksp.EINVALID)
}

// testEventSequence appends events from several writers whose commits are
// delayed at random while a reader polls "after N": the reader must never
// see a gap that a later commit fills.
func testEventSequence(t *testing.T, open Opener) {
	db := open(t)
	db.SetBeforeCommit(func() { time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) })
	defer db.SetBeforeCommit(nil)
	ctx := Staff()
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := db.AppendEvent(ctx, ksp.EventIncidentUpdated, ksp.NewID(), ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var last int64
	deadline := time.Now().Add(2 * time.Minute)
	for last < writers*each {
		evs, err := db.FindEventsAfter(ctx, last, 1000)
		must(t, err)
		for _, e := range evs {
			if e.Seq != last+1 {
				t.Fatalf("reader at %d saw seq %d: a row committed out of order", last, e.Seq)
			}
			last = e.Seq
		}
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d events after 2 minutes", last)
		}
	}
	<-done
}
