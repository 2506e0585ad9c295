package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// resourceWorld is the fixture plus an analyst at the platform and the
// startup, and a suspended org with an analyst.
type resourceWorld struct {
	*Fixture
	PlatAnalyst  *ksp.User
	StartAnalyst *ksp.User
	Susp         *ksp.Org
	SuspAnalyst  *ksp.User
}

func newResourceWorld(t *testing.T, db Store) *resourceWorld {
	t.Helper()
	w := &resourceWorld{Fixture: NewFixture(t, db)}
	ctx := Staff()
	mkUser := func(o *ksp.Org, email string) *ksp.User {
		u, _, err := db.CreateUser(ctx, o.ID, ksp.NewUser{Email: email, Name: "Analyst " + email, Role: ksp.RoleAnalyst, Password: "a long enough password"})
		must(t, err)
		return u
	}
	w.PlatAnalyst = mkUser(w.Platform, "analyst@big.example")
	w.StartAnalyst = mkUser(w.Startup, "analyst@tiny.example")
	w.Susp = &ksp.Org{Name: "Suspended Co", Kind: ksp.KindCivilSociety}
	must(t, db.CreateOrg(ctx, w.Susp))
	w.SuspAnalyst = mkUser(w.Susp, "analyst@susp.example")
	st := ksp.OrgStatusSuspended
	o, err := db.UpdateOrg(ctx, w.Susp.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)
	w.Susp = o
	return w
}

func sampleResource(title string) *ksp.Resource {
	return &ksp.Resource{Kind: ksp.ResourceGuide, Title: title, Summary: "A summary.", Body: "# Heading\n\nSome text.",
		Tags: []string{"Policy", "transparency", "policy"}, Jurisdictions: []string{"eu", "GB"}, Language: "en",
		Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}}
}

func auditCount(t *testing.T, db Store, action string) int {
	t.Helper()
	evs, _, err := db.FindAuditEvents(Staff(), ksp.AuditFilter{Action: &action, Page: ksp.Page{Limit: 1000}})
	must(t, err)
	return len(evs)
}

// testResources: create, read, update with revisions, delete, and who may
// write.
func testResources(t *testing.T, open Opener) {
	db := open(t)
	w := newResourceWorld(t, db)
	analyst := As(w.Platform, w.PlatAnalyst)
	r := sampleResource("  Model terms of service  ")
	must(t, db.CreateResource(analyst, r))
	if r.ID == "" || r.Revision != 1 || r.OwnerOrgID != w.Platform.ID || r.AuthorID != w.PlatAnalyst.ID || r.OwnerOrgName != w.Platform.Name {
		t.Fatalf("created %+v", r)
	}
	if r.Title != "Model terms of service" || !slices.Equal(r.Tags, []string{"policy", "transparency"}) || !slices.Equal(r.Jurisdictions, []string{"EU", "GB"}) {
		t.Errorf("not normalised: %q %v %v", r.Title, r.Tags, r.Jurisdictions)
	}
	if n := auditCount(t, db, "resource.create"); n != 1 {
		t.Errorf("resource.create audited %d times", n)
	}
	got, err := db.FindResourceByID(As(w.Gov, w.GovAdmin), r.ID)
	must(t, err)
	if got.Title != r.Title || got.Body != r.Body || !slices.Equal(got.Tags, r.Tags) || got.OwnerOrgName != w.Platform.Name || !got.Updated.Equal(r.Updated.Time) {
		t.Errorf("read back %+v, want %+v", got, r)
	}

	// Two edits: revisions 2 and 3, newest first, each with its author.
	title, body := "Model terms of service clauses", "# Heading\n\nBetter text."
	up, err := db.UpdateResource(analyst, r.ID, ksp.ResourceUpdate{Title: &title})
	must(t, err)
	if up.Revision != 2 || up.Title != title {
		t.Errorf("after edit: revision %d title %q", up.Revision, up.Title)
	}
	up, err = db.UpdateResource(Staff(), r.ID, ksp.ResourceUpdate{Body: &body})
	must(t, err)
	if up.Revision != 3 || up.Title != title || up.Body != body {
		t.Errorf("after staff edit: %+v", up)
	}
	// An update that changes nothing is no revision.
	up, err = db.UpdateResource(analyst, r.ID, ksp.ResourceUpdate{Body: &body})
	must(t, err)
	if up.Revision != 3 {
		t.Errorf("no-op update made revision %d", up.Revision)
	}
	revs, err := db.FindResourceRevisions(As(w.Gov, w.GovAdmin), r.ID)
	must(t, err)
	var nums []int
	for _, rv := range revs {
		nums = append(nums, rv.Number)
		if rv.Body != "" {
			t.Errorf("revision %d listed with its body", rv.Number)
		}
	}
	if !slices.Equal(nums, []int{3, 2, 1}) {
		t.Fatalf("revisions %v, want [3 2 1]", nums)
	}
	// Another org reads the owner org as every revision's author: the
	// people who write the guidance are named to their own org and staff.
	for _, rv := range revs {
		if rv.AuthorID != "" || rv.AuthorName != w.Platform.Name {
			t.Errorf("another org reads revision %d's author as %q (%q), want the owner org only", rv.Number, rv.AuthorName, rv.AuthorID)
		}
	}
	if got, err := db.FindResourceByID(As(w.Gov, w.GovAdmin), r.ID); err != nil || got.AuthorID != "" {
		t.Errorf("another org reads the resource's author id %q (%v)", got.AuthorID, err)
	}
	own, err := db.FindResourceRevisions(As(w.Platform, w.PlatAdmin), r.ID)
	must(t, err)
	if own[2].AuthorID != w.PlatAnalyst.ID || own[2].AuthorName != "Analyst analyst@big.example" || own[0].AuthorName == "" {
		t.Errorf("revision authors for the owner org: %+v / %+v", own[2], own[0])
	}
	staffRevs, err := db.FindResourceRevisions(Staff(), r.ID)
	must(t, err)
	if staffRevs[2].AuthorID != w.PlatAnalyst.ID {
		t.Errorf("staff read revision 1's author as %q", staffRevs[2].AuthorID)
	}
	first, err := db.FindResourceRevision(As(w.Gov, w.GovAdmin), r.ID, 1)
	must(t, err)
	if first.Title != "Model terms of service" || first.Body != "# Heading\n\nSome text." || !slices.Equal(first.Tags, []string{"policy", "transparency"}) {
		t.Errorf("revision 1: %+v", first)
	}
	second, err := db.FindResourceRevision(As(w.Gov, w.GovAdmin), r.ID, 2)
	must(t, err)
	if second.Title != title || second.Body != "# Heading\n\nSome text." {
		t.Errorf("revision 2: %+v", second)
	}
	for _, n := range []int{0, 4, -1} {
		_, err = db.FindResourceRevision(As(w.Gov, w.GovAdmin), r.ID, n)
		wantCode(t, err, ksp.ENOTFOUND)
	}
	if n := auditCount(t, db, "resource.update"); n != 2 {
		t.Errorf("resource.update audited %d times, want 2", n)
	}

	// Who may write: another org's analyst sees it but may not change or
	// delete it; a viewer of the owner org may not either; nor may a
	// suspended org create; nobody anonymous.
	other := As(w.Startup, w.StartAnalyst)
	_, err = db.UpdateResource(other, r.ID, ksp.ResourceUpdate{Title: &title})
	wantCode(t, err, ksp.EFORBIDDEN)
	wantCode(t, db.DeleteResource(other, r.ID), ksp.EFORBIDDEN)
	_, err = db.UpdateResource(As(w.Platform, w.PlatView), r.ID, ksp.ResourceUpdate{Title: &title})
	wantCode(t, err, ksp.EFORBIDDEN)
	wantCode(t, db.CreateResource(As(w.Platform, w.PlatView), sampleResource("x")), ksp.EFORBIDDEN)
	wantCode(t, db.CreateResource(As(w.Susp, w.SuspAnalyst), sampleResource("x")), ksp.EFORBIDDEN)
	// A context resolved before the suspension still says member: the
	// store reads the org's status again.
	stale := ksp.NewContext(context.Background(), &ksp.Actor{UserID: w.SuspAnalyst.ID, OrgID: w.Susp.ID, OrgKind: w.Susp.Kind, Role: ksp.RoleAnalyst})
	wantCode(t, db.CreateResource(stale, sampleResource("x")), ksp.EFORBIDDEN)
	wantCode(t, db.CreateResource(context.Background(), sampleResource("x")), ksp.EUNAUTHORIZED)
	_, err = db.UpdateResource(context.Background(), r.ID, ksp.ResourceUpdate{Title: &title})
	wantCode(t, err, ksp.EUNAUTHORIZED)
	after, err := db.FindResourceByID(analyst, r.ID)
	must(t, err)
	if after.Revision != 3 || after.Title != title {
		t.Errorf("refused writes changed the resource: %+v", after)
	}

	// Narrowing to owner hides it from the other org: 404 on every path.
	owner := ksp.DistOwner
	_, err = db.UpdateResource(analyst, r.ID, ksp.ResourceUpdate{Distribution: &owner})
	must(t, err)
	_, err = db.UpdateResource(other, r.ID, ksp.ResourceUpdate{Title: &title})
	wantCode(t, err, ksp.ENOTFOUND)
	wantCode(t, db.DeleteResource(other, r.ID), ksp.ENOTFOUND)
	_, err = db.FindResourceRevisions(other, r.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	_, err = db.FindResourceRevision(other, r.ID, 1)
	wantCode(t, err, ksp.ENOTFOUND)

	// Delete removes the resource and its revisions.
	must(t, db.DeleteResource(analyst, r.ID))
	_, err = db.FindResourceByID(Staff(), r.ID)
	wantCode(t, err, ksp.ENOTFOUND)
	var left int
	must(t, db.SQL().QueryRow(db.Rebind(`SELECT COUNT(*) FROM resource_revisions WHERE resource_id = ?`), r.ID).Scan(&left))
	if left != 0 {
		t.Errorf("%d revisions left after delete", left)
	}
	if n := auditCount(t, db, "resource.delete"); n != 1 {
		t.Errorf("resource.delete audited %d times", n)
	}
	wantCode(t, db.DeleteResource(analyst, r.ID), ksp.ENOTFOUND)
	wantCode(t, db.DeleteResource(analyst, "not-an-id"), ksp.ENOTFOUND)
}

// testResourceValidation: bad input is refused naming the field, and
// nothing is written.
func testResourceValidation(t *testing.T, open Opener) {
	db := open(t)
	w := newResourceWorld(t, db)
	analyst := As(w.Platform, w.PlatAnalyst)
	cases := []struct {
		name  string
		edit  func(r *ksp.Resource)
		field string
	}{
		{"no title", func(r *ksp.Resource) { r.Title = "   " }, "title"},
		{"long title", func(r *ksp.Resource) { r.Title = strings.Repeat("t", 301) }, "title"},
		{"unknown kind", func(r *ksp.Resource) { r.Kind = "poster" }, "kind"},
		{"huge body", func(r *ksp.Resource) { r.Body = strings.Repeat("x", ksp.MaxResourceBody+1) }, "body"},
		{"long summary", func(r *ksp.Resource) { r.Summary = strings.Repeat("s", 2001) }, "summary"},
		{"bad tag", func(r *ksp.Resource) { r.Tags = []string{"no spaces allowed"} }, "tags"},
		{"too many tags", func(r *ksp.Resource) {
			r.Tags = nil
			for i := 0; i < 21; i++ {
				r.Tags = append(r.Tags, fmt.Sprintf("t%d", i))
			}
		}, "tags"},
		{"bad jurisdiction", func(r *ksp.Resource) { r.Jurisdictions = []string{"Europe"} }, "jurisdictions"},
		{"bad language", func(r *ksp.Resource) { r.Language = "English" }, "language"},
		{"invalid UTF-8", func(r *ksp.Resource) { r.Body = "a\xffb" }, "body"},
		{"public but not CLEAR", func(r *ksp.Resource) { r.Distribution = ksp.DistPublic; r.TLP = ksp.TLPGreen }, "tlp"},
		{"unknown distribution", func(r *ksp.Resource) { r.Distribution = "everyone" }, "distribution"},
		{"audience without orgs", func(r *ksp.Resource) { r.Distribution = ksp.DistAudience }, "audience"},
		{"audience of unknown org", func(r *ksp.Resource) {
			r.Distribution, r.Audience = ksp.DistAudience, []string{ksp.NewID()}
		}, "audience"},
		{"RED to members", func(r *ksp.Resource) { r.TLP = ksp.TLPRed }, "distribution"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := sampleResource("Valid")
			c.edit(r)
			err := db.CreateResource(analyst, r)
			wantField(t, err, c.field)
		})
	}
	var n int
	must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM resources`).Scan(&n))
	if n != 0 {
		t.Fatalf("%d resources stored from bad input", n)
	}
	// The same rules hold for an update, which then changes nothing.
	r := sampleResource("Valid")
	must(t, db.CreateResource(analyst, r))
	pub, green, empty := ksp.DistPublic, ksp.TLPGreen, ""
	_, err := db.UpdateResource(analyst, r.ID, ksp.ResourceUpdate{Distribution: &pub, TLP: &green})
	wantField(t, err, "tlp")
	_, err = db.UpdateResource(analyst, r.ID, ksp.ResourceUpdate{Title: &empty})
	wantField(t, err, "title")
	got, err := db.FindResourceByID(analyst, r.ID)
	must(t, err)
	if got.Revision != 1 || got.Distribution != ksp.DistMembers || got.Title != "Valid" {
		t.Errorf("refused update changed the resource: %+v", got)
	}
	// Public with CLEAR is fine.
	clear := ksp.TLPClear
	got, err = db.UpdateResource(analyst, r.ID, ksp.ResourceUpdate{Distribution: &pub, TLP: &clear})
	must(t, err)
	if got.Distribution != ksp.DistPublic || got.Revision != 2 {
		t.Errorf("made public: %+v", got)
	}
	// Bad filters name their parameter.
	bad := []struct {
		f     ksp.ResourceFilter
		field string
	}{
		{ksp.ResourceFilter{Kind: ptr(ksp.ResourceKind("poster"))}, "kind"},
		{ksp.ResourceFilter{Tag: ptr("two words")}, "tag"},
		{ksp.ResourceFilter{Jurisdiction: ptr("Europe")}, "jurisdiction"},
		{ksp.ResourceFilter{Page: ksp.Page{Limit: 1001}}, "limit"},
		{ksp.ResourceFilter{Page: ksp.Page{Cursor: "!!"}}, "cursor"},
		{ksp.ResourceFilter{Page: ksp.Page{Cursor: "bm90LWEtY3Vyc29y"}}, "cursor"},
	}
	for _, b := range bad {
		_, _, err := db.FindResources(analyst, b.f)
		wantField(t, err, b.field)
	}
}

// testResourceVisibility stores a resource for every valid distribution ×
// TLP pair and checks every kind of viewer against ksp.CanSee, through the
// list, the get and the revisions.
func testResourceVisibility(t *testing.T, open Opener) {
	db := open(t)
	w := newResourceWorld(t, db)
	owner := As(w.Platform, w.PlatAnalyst)
	type item struct {
		s  ksp.Sharing
		id string
	}
	var items []item
	for _, s := range validSharings(w.Platform.ID, w.Startup.ID) {
		r := sampleResource(fmt.Sprintf("%s %s", s.Distribution, s.TLP))
		r.Sharing = s
		must(t, db.CreateResource(owner, r))
		items = append(items, item{s, r.ID})
	}
	staffUser := As(w.StaffOrg(t), w.StaffUser)
	viewers := []struct {
		name string
		ctx  context.Context
		v    ksp.Viewer
	}{
		{"owner", owner, ksp.Viewer{OrgID: w.Platform.ID}},
		{"audience member", As(w.Startup, w.StartAnalyst), ksp.Viewer{OrgID: w.Startup.ID}},
		{"other member", As(w.Gov, w.GovAdmin), ksp.Viewer{OrgID: w.Gov.ID}},
		{"suspended", As(w.Susp, w.SuspAnalyst), ksp.Viewer{OrgID: w.Susp.ID, Suspended: true}},
		{"anonymous", context.Background(), ksp.Viewer{}},
		{"staff", staffUser, ksp.Viewer{OrgID: ksp.StaffOrgID, Staff: true}},
	}
	for _, vw := range viewers {
		t.Run(vw.name, func(t *testing.T) {
			var want []string
			for i := len(items) - 1; i >= 0; i-- {
				if ksp.CanSee(vw.v, items[i].s) {
					want = append(want, items[i].id)
				}
			}
			// Pages of 2, so that what the viewer cannot see never cuts one.
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				rs, next, err := db.FindResources(vw.ctx, ksp.ResourceFilter{Page: ksp.Page{Limit: 2, Cursor: cursor}})
				must(t, err)
				if len(rs) == 0 && next != "" || len(rs) > 2 {
					t.Fatalf("page of %d with next %q", len(rs), next)
				}
				for _, r := range rs {
					got = append(got, r.ID)
					if r.Distribution == ksp.DistAudience && (len(r.Audience) > 0) != (vw.v.Staff || vw.v.OrgID == w.Platform.ID) {
						t.Errorf("audience %v shown to %s", r.Audience, vw.name)
					}
				}
				if next == "" {
					break
				}
				cursor = next
				if pages > len(items) {
					t.Fatal("paging does not end")
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("listed %d resources, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
			}
			for _, it := range items {
				_, err := db.FindResourceByID(vw.ctx, it.id)
				_, rerr := db.FindResourceRevisions(vw.ctx, it.id)
				_, nerr := db.FindResourceRevision(vw.ctx, it.id, 1)
				if ksp.CanSee(vw.v, it.s) {
					must(t, err)
					must(t, rerr)
					must(t, nerr)
				} else {
					for _, e := range []error{err, rerr, nerr} {
						wantCode(t, e, ksp.ENOTFOUND)
					}
				}
			}
		})
	}
	// Staff reads of restricted resources of other orgs leave a trace.
	if n := auditCount(t, db, "resource.staff_read") + auditCount(t, db, "resource.staff_list"); n == 0 {
		t.Error("staff reads of restricted resources not audited")
	}
}

// testResourceFilters: kind, tag, jurisdiction and language filters, and
// paging by last update (an edit moves a resource to the front).
func testResourceFilters(t *testing.T, open Opener) {
	db := open(t)
	w := newResourceWorld(t, db)
	analyst := As(w.Platform, w.PlatAnalyst)
	mk := func(title string, kind ksp.ResourceKind, tags, jurs []string, lang string) *ksp.Resource {
		r := sampleResource(title)
		r.Kind, r.Tags, r.Jurisdictions, r.Language = kind, tags, jurs, lang
		must(t, db.CreateResource(analyst, r))
		return r
	}
	a := mk("a", ksp.ResourceLaw, []string{"dsa", "removal_orders"}, []string{"EU"}, "en")
	mk("b", ksp.ResourceLaw, []string{"online-safety"}, []string{"GB", "AU"}, "en")
	mk("c", ksp.ResourceTemplate, []string{"removalxorders"}, []string{"INT"}, "fr")
	mk("d", ksp.ResourceGuide, nil, nil, "en")
	ids := func(f ksp.ResourceFilter) []string {
		t.Helper()
		rs, _, err := db.FindResources(analyst, f)
		must(t, err)
		var out []string
		for _, r := range rs {
			out = append(out, r.Title)
		}
		return out
	}
	tests := []struct {
		name string
		f    ksp.ResourceFilter
		want []string
	}{
		{"all", ksp.ResourceFilter{}, []string{"d", "c", "b", "a"}},
		{"kind law", ksp.ResourceFilter{Kind: ptr(ksp.ResourceLaw)}, []string{"b", "a"}},
		// _ in a tag is a literal, not LIKE's any character.
		{"tag with underscore", ksp.ResourceFilter{Tag: ptr("removal_orders")}, []string{"a"}},
		{"tag in upper case", ksp.ResourceFilter{Tag: ptr("DSA")}, []string{"a"}},
		{"tag prefix is not a tag", ksp.ResourceFilter{Tag: ptr("online")}, nil},
		{"jurisdiction", ksp.ResourceFilter{Jurisdiction: ptr("au")}, []string{"b"}},
		{"jurisdiction INT", ksp.ResourceFilter{Jurisdiction: ptr("INT")}, []string{"c"}},
		{"language", ksp.ResourceFilter{Language: ptr("fr")}, []string{"c"}},
		{"kind and jurisdiction", ksp.ResourceFilter{Kind: ptr(ksp.ResourceLaw), Jurisdiction: ptr("EU")}, []string{"a"}},
		{"nothing", ksp.ResourceFilter{Kind: ptr(ksp.ResourceTraining)}, nil},
	}
	for _, tt := range tests {
		if got := ids(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// Editing a moves it to the front; paging one at a time sees each once.
	summary := "edited"
	_, err := db.UpdateResource(analyst, a.ID, ksp.ResourceUpdate{Summary: &summary})
	must(t, err)
	var got []string
	cursor := ""
	for i := 0; i < 10; i++ {
		rs, next, err := db.FindResources(analyst, ksp.ResourceFilter{Page: ksp.Page{Limit: 1, Cursor: cursor}})
		must(t, err)
		for _, r := range rs {
			got = append(got, r.Title)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if want := []string{"a", "d", "c", "b"}; !slices.Equal(got, want) {
		t.Errorf("paged %v, want %v", got, want)
	}
}
