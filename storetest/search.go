package storetest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// searchWorld is a small library and entity list whose every search has a
// result set written down by hand, so that both stores are held to the
// same sets (ranking may differ between engines).
type searchWorld struct {
	db   Store
	fx   *Fixture
	susp *ksp.Org
	// ids by label (R1… resources, E1… entities) and labels by id.
	ids    map[string]string
	labels map[string]string
}

// addResource stores r as created by u of o and records its label.
func (w *searchWorld) addResource(t *testing.T, label string, o *ksp.Org, u *ksp.User, r *ksp.Resource) {
	t.Helper()
	must(t, w.db.CreateResource(As(o, u), r))
	w.ids[label], w.labels[r.ID] = r.ID, label
}

func newSearchWorld(t *testing.T, db Store) *searchWorld {
	t.Helper()
	fx := NewFixture(t, db)
	w := &searchWorld{db: db, fx: fx, ids: map[string]string{}, labels: map[string]string{}}
	staff := Staff()
	w.susp = &ksp.Org{Name: "Suspended Search Co", Kind: ksp.KindCivilSociety}
	must(t, db.CreateOrg(staff, w.susp))
	st := ksp.OrgStatusSuspended
	_, err := db.UpdateOrg(staff, w.susp.ID, ksp.OrgUpdate{Status: &st})
	must(t, err)
	w.susp.Status = st

	pub := ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear}
	members := ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}
	w.addResource(t, "R1", fx.Platform, fx.PlatAdmin, &ksp.Resource{Kind: ksp.ResourceTemplate, Title: "Model terms of service clauses",
		Summary: "Clauses a platform can adopt on terrorist content.", Body: "Remove within one hour of an order. Covers Al-Qaida and its affiliates.",
		Tags: []string{"tos", "policy"}, Jurisdictions: []string{"INT"}, Sharing: pub})
	w.addResource(t, "R2", fx.Platform, fx.PlatAdmin, &ksp.Resource{Kind: ksp.ResourceLaw, Title: "EU regulation on terrorist content online (TCO)",
		Summary: "One-hour removal orders under Règlement (UE) 2021/784.", Body: "Hosting providers must act on removal orders within one-hour.",
		Tags: []string{"tco", "removal-orders"}, Jurisdictions: []string{"EU"}, Sharing: members})
	w.addResource(t, "R3", fx.Startup, fx.StartAdm, &ksp.Resource{Kind: ksp.ResourceGuide, Title: "Transparency report starter",
		Summary: "", Body: "Count removals per quarter. <script>alert('x')</script> & AT&T <b>bold</b> \x02marker\x03 \x03stray",
		Tags: []string{"transparency"}, Jurisdictions: []string{"GB", "AU"}, Sharing: pub})
	w.addResource(t, "R4", fx.Platform, fx.PlatAdmin, &ksp.Resource{Kind: ksp.ResourceGuide, Title: "Internal incident playbook",
		Body: "Our crisis protocol for a livestreamed attack.", Tags: []string{"crisis"}, Sharing: ksp.Sharing{Distribution: ksp.DistOwner, TLP: ksp.TLPRed}})
	w.addResource(t, "R5", fx.Startup, fx.StartAdm, &ksp.Resource{Kind: ksp.ResourceCaseStudy, Title: "Shared briefing for the ministry",
		Body: "Lessons from the crisis protocol exercise.", Sharing: ksp.Sharing{Distribution: ksp.DistAudience, Audience: []string{fx.Gov.ID}, TLP: ksp.TLPAmber}})
	w.addResource(t, "R6", fx.Gov, fx.GovAdmin, &ksp.Resource{Kind: ksp.ResourceResearch, Title: "دليل الاستجابة",
		Summary: "ملخص", Body: "تنظيم القاعدة في جزيرة العرب", Language: "ar", Sharing: pub})

	entity := func(label string, e *ksp.Entity) {
		must(t, db.CreateEntity(staff, e))
		w.ids[label], w.labels[e.ID] = e.ID, label
	}
	entity("E1", &ksp.Entity{Kind: ksp.EntityGroup, Name: "Al-Qaida in the Arabian Peninsula", OriginalName: "القاعدة في جزيرة العرب",
		Aliases: []ksp.EntityAlias{{Quality: "a.k.a.", Name: "AQAP"}, {Quality: "a.k.a.", Name: "Ansar al-Shari'a"}},
		Lists:   []ksp.EntityListing{{List: ksp.ListUN, Regime: "Al-Qaida", ReferenceNumber: "QDe.129", ListedOn: "2010-01-19"}}})
	entity("E2", &ksp.Entity{Kind: ksp.EntityIndividual, Name: "Jean-Pierre Dupré",
		Aliases: []ksp.EntityAlias{{Quality: "Good", Name: "J.P. Dupre"}},
		Lists:   []ksp.EntityListing{{List: "NATIONAL-XX", Regime: "Domestic", ReferenceNumber: "XX-7", ListedOn: "2021-03-02"}}})
	// The comments come from the list; staff cannot set them by hand.
	_, err = db.SQL().Exec(db.Rebind(`UPDATE entities SET comments = ? WHERE id = ?`), "Crisis financier. Linked to <b>AQAP</b>.", w.ids["E2"])
	must(t, err)
	return w
}

// search runs q and returns the labels of every result over all pages,
// sorted, failing on an error.
func (w *searchWorld) search(t *testing.T, ctx context.Context, q ksp.SearchQuery) []string {
	t.Helper()
	got, err := w.searchErr(ctx, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return got
}

func (w *searchWorld) searchErr(ctx context.Context, q ksp.SearchQuery) ([]string, error) {
	var out []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			return nil, fmt.Errorf("search %+v: more than 100 pages", q)
		}
		items, next, err := w.db.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			l, ok := w.labels[it.ID]
			if !ok {
				l = "?" + it.ID
			}
			if want := map[byte]string{'R': ksp.SearchResource, 'E': ksp.SearchEntity}[l[0]]; it.Type != want {
				return nil, fmt.Errorf("%s has type %q, want %q", l, it.Type, want)
			}
			out = append(out, l)
		}
		if next == "" {
			break
		}
		q.Page.Cursor = next
	}
	slices.Sort(out)
	return out, nil
}

func (w *searchWorld) labelsOf(items []*ksp.SearchResult) []string {
	var out []string
	for _, it := range items {
		out = append(out, w.labels[it.ID])
	}
	return out
}

func strp(s string) *string { return &s }

func testSearchConformance(t *testing.T, open Opener) {
	db := open(t)
	w := newSearchWorld(t, db)
	fx := w.fx
	platform, startup, gov := As(fx.Platform, fx.PlatView), As(fx.Startup, fx.StartAdm), As(fx.Gov, fx.GovAdmin)
	susp := ksp.NewContext(context.Background(), &ksp.Actor{UserID: "u-susp", OrgID: w.susp.ID, OrgKind: w.susp.Kind, Role: ksp.RoleAdmin, Suspended: true})
	anon := context.Background()
	law := ksp.ResourceLaw
	tests := []struct {
		name string
		ctx  context.Context
		q    ksp.SearchQuery
		want []string
	}{
		{"two words", platform, ksp.SearchQuery{Q: "terrorist content"}, []string{"R1", "R2"}},
		{"any case", platform, ksp.SearchQuery{Q: "ONE HOUR"}, []string{"R1", "R2"}},
		{"hyphenated word is two words", platform, ksp.SearchQuery{Q: "one-hour"}, []string{"R1", "R2"}},
		{"word inside a hyphenated name", platform, ksp.SearchQuery{Q: "qaida"}, []string{"E1", "R1"}},
		{"hyphenated name", platform, ksp.SearchQuery{Q: "Al-Qaida"}, []string{"E1", "R1"}},
		{"diacritics kept", platform, ksp.SearchQuery{Q: "règlement"}, []string{"R2"}},
		{"diacritics not folded", platform, ksp.SearchQuery{Q: "reglement "}, nil},
		{"accented name", platform, ksp.SearchQuery{Q: "dupré"}, []string{"E2"}},
		{"alias without accent", platform, ksp.SearchQuery{Q: "dupre"}, []string{"E2"}},
		{"alias", platform, ksp.SearchQuery{Q: "aqap"}, []string{"E1", "E2"}},
		{"alias with apostrophe", platform, ksp.SearchQuery{Q: "ansar al shari'a"}, []string{"E1"}},
		{"Arabic script", platform, ksp.SearchQuery{Q: "القاعدة"}, []string{"E1", "R6"}},
		{"Arabic phrase words", platform, ksp.SearchQuery{Q: "جزيرة العرب"}, []string{"E1", "R6"}},
		{"word in an HTML tag", platform, ksp.SearchQuery{Q: "script"}, []string{"R3"}},
		{"tag", platform, ksp.SearchQuery{Q: "tco"}, []string{"R2"}},
		{"tag words", platform, ksp.SearchQuery{Q: "removal orders "}, []string{"R2"}},
		{"number", platform, ksp.SearchQuery{Q: "2021"}, []string{"R2"}},
		{"number inside a reference", platform, ksp.SearchQuery{Q: "784"}, []string{"R2"}},
		{"prefix of the last word", platform, ksp.SearchQuery{Q: "transpar"}, []string{"R3"}},
		{"no prefix once the word is finished", platform, ksp.SearchQuery{Q: "transpar "}, nil},
		{"prefix after a full word", platform, ksp.SearchQuery{Q: "crisis proto"}, []string{"R4"}},
		{"comments", platform, ksp.SearchQuery{Q: "financier"}, []string{"E2"}},
		{"nothing", platform, ksp.SearchQuery{Q: "zzzzqx"}, nil},
		{"FTS5 syntax is words", platform, ksp.SearchQuery{Q: `title:transparency OR "report`}, nil},
		{"NOT is a word", platform, ksp.SearchQuery{Q: "terrorist NOT content"}, nil},
		{"tsquery syntax is words", platform, ksp.SearchQuery{Q: `terrorist & !content | x:*`}, nil},
		{"quotes and backslashes", platform, ksp.SearchQuery{Q: `'terrorist' "content\`}, []string{"R1", "R2"}},
		// Sharing: owner, audience, members, public; suspended and anonymous.
		{"own owner-only resource", platform, ksp.SearchQuery{Q: "crisis"}, []string{"E2", "R4"}},
		{"owner of audience resource", startup, ksp.SearchQuery{Q: "crisis"}, []string{"E2", "R5"}},
		{"audience member", gov, ksp.SearchQuery{Q: "crisis protocol"}, []string{"R5"}},
		{"staff see everything", Staff(), ksp.SearchQuery{Q: "crisis"}, []string{"E2", "R4", "R5"}},
		{"suspended: public resources and entities", susp, ksp.SearchQuery{Q: "crisis"}, []string{"E2"}},
		{"suspended: no members resource", susp, ksp.SearchQuery{Q: "terrorist content"}, []string{"R1"}},
		{"anonymous: public only", anon, ksp.SearchQuery{Q: "terrorist content"}, []string{"R1"}},
		{"anonymous: no entities", anon, ksp.SearchQuery{Q: "qaida"}, []string{"R1"}},
		{"anonymous: Arabic", anon, ksp.SearchQuery{Q: "القاعدة"}, []string{"R6"}},
		// Types and filters.
		{"type resource", platform, ksp.SearchQuery{Q: "qaida", Types: []string{ksp.SearchResource}}, []string{"R1"}},
		{"type entity", platform, ksp.SearchQuery{Q: "qaida", Types: []string{ksp.SearchEntity}}, []string{"E1"}},
		{"both types named", platform, ksp.SearchQuery{Q: "qaida", Types: []string{ksp.SearchEntity, ksp.SearchResource}}, []string{"E1", "R1"}},
		{"kind", platform, ksp.SearchQuery{Q: "content", Kind: &law}, []string{"R2"}},
		{"tag filter", platform, ksp.SearchQuery{Q: "content", Tag: strp("tos")}, []string{"R1"}},
		{"tag filter is a whole tag", platform, ksp.SearchQuery{Q: "content", Tag: strp("to")}, nil},
		{"tag filter with a hyphen", platform, ksp.SearchQuery{Q: "one", Tag: strp("removal-orders")}, []string{"R2"}},
		{"jurisdiction", platform, ksp.SearchQuery{Q: "content", Jurisdiction: strp("EU")}, []string{"R2"}},
		{"jurisdiction of several", platform, ksp.SearchQuery{Q: "removals", Jurisdiction: strp("AU")}, []string{"R3"}},
		{"jurisdiction is whole", platform, ksp.SearchQuery{Q: "content", Jurisdiction: strp("IN")}, nil},
		{"regime", platform, ksp.SearchQuery{Q: "aqap", Regime: strp("Al-Qaida")}, []string{"E1"}},
		{"other regime", platform, ksp.SearchQuery{Q: "aqap", Regime: strp("Domestic")}, []string{"E2"}},
		{"filter hides hidden resource too", gov, ksp.SearchQuery{Q: "crisis", Kind: ptr(ksp.ResourceGuide)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := w.search(t, tt.ctx, tt.q)
			if !slices.Equal(got, tt.want) {
				t.Errorf("search %q: %v, want %v", tt.q.Q, got, tt.want)
			}
			// One item at a time pages through the same set.
			q := tt.q
			q.Page.Limit = 1
			if paged := w.search(t, tt.ctx, q); !slices.Equal(paged, tt.want) {
				t.Errorf("search %q one a page: %v, want %v", tt.q.Q, paged, tt.want)
			}
		})
	}
	// Results come best first, with scores in [0, 1) and the fields filled.
	items, _, err := db.Search(platform, ksp.SearchQuery{Q: "qaida"})
	must(t, err)
	for i, it := range items {
		if it.Score <= 0 || it.Score >= 1 || it.Title == "" || it.Kind == "" || (i > 0 && it.Score > items[i-1].Score) {
			t.Errorf("result %d: %+v", i, it)
		}
	}
	// A word in the tags and the body outranks the same word in a body
	// alone.
	items, _, err = db.Search(Staff(), ksp.SearchQuery{Q: "crisis", Types: []string{ksp.SearchResource}})
	must(t, err)
	if len(items) != 2 || items[0].ID != w.ids["R4"] {
		t.Errorf("crisis: R4 (tag and body) should rank above R5 (body): %v", w.labelsOf(items))
	}
}

// snippetMarkup is all the markup a snippet may hold.
var snippetMarkup = regexp.MustCompile(`</?mark>`)

// checkSnippet fails unless s is escaped text whose only markup is
// well-formed <mark> pairs.
func checkSnippet(t *testing.T, s string) {
	t.Helper()
	depth := 0
	for _, m := range snippetMarkup.FindAllString(s, -1) {
		if m == "<mark>" {
			depth++
		} else {
			depth--
		}
		if depth < 0 || depth > 1 {
			t.Errorf("snippet %q: marks not paired", s)
			return
		}
	}
	if depth != 0 {
		t.Errorf("snippet %q: a mark left open", s)
	}
	text := snippetMarkup.ReplaceAllString(s, "")
	if strings.ContainsAny(text, "<>\"'\x02\x03") {
		t.Errorf("snippet %q: markup, quotes or markers left outside <mark>", s)
	}
	for i := strings.IndexByte(text, '&'); i >= 0; i = strings.IndexByte(text, '&') {
		rest := text[i:]
		if !regexp.MustCompile(`^&(amp|lt|gt|#34|#39|quot);`).MatchString(rest) {
			t.Errorf("snippet %q: a bare &", s)
			return
		}
		text = rest[1:]
	}
}

func testSearchSnippets(t *testing.T, open Opener) {
	db := open(t)
	w := newSearchWorld(t, db)
	ctx := As(w.fx.Platform, w.fx.PlatView)
	tests := []struct {
		q    string
		id   string
		mark string // a marked word the snippet must hold
		text string // escaped text it must hold ("" for none)
	}{
		{"alert", "R3", "<mark>alert</mark>", "&lt;script&gt;"},
		{"bold", "R3", "<mark>bold</mark>", "&lt;/b&gt;"},
		{"marker", "R3", "<mark>marker</mark>", ""},
		{"quarter", "R3", "<mark>quarter</mark>", "&amp;"},
		{"count", "R3", "<mark>Count</mark>", ""},
		{"règlement", "R2", "<mark>Règlement</mark>", ""},
		{"aqap", "E1", "<mark>AQAP</mark>; Ansar", ""},
		{"aqap", "E2", "<mark>AQAP</mark>", "&lt;b&gt;"},
		{"financier", "E2", "<mark>financier</mark>", ""},
		{"crisis", "R4", "<mark>crisis</mark>", ""},
		{"remov", "R2", "<mark>removal</mark>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.q+" "+tt.id, func(t *testing.T) {
			items, _, err := db.Search(ctx, ksp.SearchQuery{Q: tt.q})
			must(t, err)
			var hit *ksp.SearchResult
			for _, it := range items {
				checkSnippet(t, it.Snippet)
				if it.ID == w.ids[tt.id] {
					hit = it
				}
			}
			if hit == nil {
				t.Fatalf("%s not found", tt.id)
			}
			if !strings.Contains(hit.Snippet, tt.mark) || !strings.Contains(hit.Snippet, tt.text) {
				t.Errorf("snippet %q, want %q and %q in it", hit.Snippet, tt.mark, tt.text)
			}
			if strings.Contains(strings.ToLower(hit.Snippet), "<script") || strings.Contains(hit.Snippet, "<b>") {
				t.Errorf("snippet %q carries the text's markup", hit.Snippet)
			}
		})
	}
}

// testSearchVisibility attacks the sharing rule through search: another
// org's owner-only resources are never found, never fill a page, and
// never leave a cursor behind; anonymous callers get public resources
// only.
func testSearchVisibility(t *testing.T, open Opener) {
	db := open(t)
	fx := NewFixture(t, db)
	mk := func(o *ksp.Org, u *ksp.User, title string, s ksp.Sharing) string {
		r := &ksp.Resource{Kind: ksp.ResourceGuide, Title: title, Body: "secretword appears here", Sharing: s}
		must(t, db.CreateResource(As(o, u), r))
		return r.ID
	}
	var private []string
	for i := range 5 {
		private = append(private, mk(fx.Platform, fx.PlatAdmin, fmt.Sprintf("Platform secretword %d", i), ksp.Sharing{Distribution: ksp.DistOwner, TLP: ksp.TLPRed}))
	}
	public := mk(fx.Startup, fx.StartAdm, "Public secretword", ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear})
	must(t, db.CreateEntity(Staff(), &ksp.Entity{Kind: ksp.EntityGroup, Name: "Secretword Front"}))

	// The start-up sees its public resource and the entity: two results,
	// a page of one then one, and no third page made of hidden items.
	startup := As(fx.Startup, fx.StartAdm)
	page, next, err := db.Search(startup, ksp.SearchQuery{Q: "secretword", Page: ksp.Page{Limit: 1}})
	must(t, err)
	page2, next2, err := db.Search(startup, ksp.SearchQuery{Q: "secretword", Page: ksp.Page{Limit: 1, Cursor: next}})
	must(t, err)
	if len(page) != 1 || next == "" || len(page2) != 1 || next2 != "" {
		t.Fatalf("start-up pages: %d (next %q), %d (next %q); want 1, 1 and no third", len(page), next, len(page2), next2)
	}
	all, _, err := db.Search(startup, ksp.SearchQuery{Q: "secretword platform"})
	must(t, err)
	if len(all) != 0 {
		t.Errorf("start-up found another org's owner-only resources: %+v", all)
	}
	for _, q := range []string{"secretword", "platform", "secretword 3", "platform secretw"} {
		items, _, err := db.Search(startup, ksp.SearchQuery{Q: q, Page: ksp.Page{Limit: 100}})
		must(t, err)
		for _, it := range items {
			if slices.Contains(private, it.ID) {
				t.Errorf("%q: start-up found owner-only %s", q, it.ID)
			}
		}
	}
	// The owner finds all five.
	own, _, err := db.Search(As(fx.Platform, fx.PlatView), ksp.SearchQuery{Q: "platform secretword", Types: []string{ksp.SearchResource}})
	must(t, err)
	if len(own) != 5 {
		t.Errorf("owner found %d of its 5 resources", len(own))
	}
	// Anonymous: the public resource only.
	anon, next, err := db.Search(context.Background(), ksp.SearchQuery{Q: "secretword"})
	must(t, err)
	if len(anon) != 1 || anon[0].ID != public || next != "" {
		t.Errorf("anonymous: %+v (next %q), want only the public resource", anon, next)
	}
	if _, _, err := db.Search(context.Background(), ksp.SearchQuery{Q: "secretword", Types: []string{ksp.SearchEntity}}); ksp.ErrorCode(err) != ksp.EUNAUTHORIZED {
		t.Errorf("anonymous entity search: %v, want unauthorized", err)
	}
	if _, _, err := db.Search(context.Background(), ksp.SearchQuery{Q: "secretword", Regime: strp("Al-Qaida")}); ksp.ErrorCode(err) != ksp.EUNAUTHORIZED {
		t.Errorf("anonymous regime search: %v, want unauthorized", err)
	}
	// A resource narrowed to its owner disappears from others' searches at
	// once.
	owner := ksp.DistOwner
	red := ksp.TLPRed
	_, err = db.UpdateResource(As(fx.Startup, fx.StartAdm), public, ksp.ResourceUpdate{Distribution: &owner, TLP: &red})
	must(t, err)
	anon, _, err = db.Search(context.Background(), ksp.SearchQuery{Q: "secretword"})
	must(t, err)
	if len(anon) != 0 {
		t.Errorf("anonymous still finds a narrowed resource: %+v", anon)
	}
}

func testSearchBadInput(t *testing.T, open Opener) {
	db := open(t)
	fx := NewFixture(t, db)
	ctx := As(fx.Platform, fx.PlatView)
	kind := ksp.ResourceKind("novel")
	law := ksp.ResourceLaw
	tests := []struct {
		name  string
		q     ksp.SearchQuery
		field string
	}{
		{"empty", ksp.SearchQuery{Q: ""}, "q"},
		{"spaces", ksp.SearchQuery{Q: "   \t"}, "q"},
		{"punctuation only", ksp.SearchQuery{Q: `"*" - : ^ ( ) & | ! <-> ' + /`}, "q"},
		{"too long", ksp.SearchQuery{Q: strings.Repeat("word ", 41)}, "q"},
		{"too many words", ksp.SearchQuery{Q: strings.Repeat("a ", 13)}, "q"},
		{"not UTF-8", ksp.SearchQuery{Q: "abc\xff"}, "q"},
		{"unknown type", ksp.SearchQuery{Q: "x", Types: []string{"signal"}}, "type"},
		{"kind for questions", ksp.SearchQuery{Q: "x", Kind: &law, Types: []string{ksp.SearchQuestion}}, "type"},
		{"unknown kind", ksp.SearchQuery{Q: "x", Kind: &kind}, "kind"},
		{"bad jurisdiction", ksp.SearchQuery{Q: "x", Jurisdiction: strp("EUR")}, "jurisdiction"},
		{"bad tag", ksp.SearchQuery{Q: "x", Tag: strp("no spaces")}, "tag"},
		{"empty tag", ksp.SearchQuery{Q: "x", Tag: strp("")}, "tag"},
		{"kind with regime", ksp.SearchQuery{Q: "x", Kind: &law, Regime: strp("Al-Qaida")}, "regime"},
		{"kind for entities", ksp.SearchQuery{Q: "x", Kind: &law, Types: []string{ksp.SearchEntity}}, "type"},
		{"regime for resources", ksp.SearchQuery{Q: "x", Regime: strp("Al-Qaida"), Types: []string{ksp.SearchResource}}, "type"},
		{"limit", ksp.SearchQuery{Q: "x", Page: ksp.Page{Limit: 101}}, "limit"},
		{"cursor", ksp.SearchQuery{Q: "x", Page: ksp.Page{Cursor: "bm90LWEtY3Vyc29y"}}, "cursor"},
		{"negative cursor", ksp.SearchQuery{Q: "x", Page: ksp.Page{Cursor: "c2VhcmNoOi0x"}}, "cursor"},
	}
	before := searchTotal(t, db)
	for _, tt := range tests {
		_, _, err := db.Search(ctx, tt.q)
		var ke *ksp.Error
		if ksp.ErrorCode(err) != ksp.EINVALID || !asError(err, &ke) || len(ke.Fields) == 0 || ke.Fields[0].Field != tt.field {
			t.Errorf("%s: %v, want invalid naming %s", tt.name, err, tt.field)
		}
	}
	if after := searchTotal(t, db); after != before {
		t.Errorf("refused searches were counted: %d then %d", before, after)
	}
	// Huge but valid: 12 words of the longest a query allows.
	if _, _, err := db.Search(ctx, ksp.SearchQuery{Q: strings.Repeat("x", 190) + " y*"}); err != nil {
		t.Errorf("long word: %v", err)
	}
}

func searchTotal(t *testing.T, db Store) int64 {
	t.Helper()
	var n int64
	must(t, db.SQL().QueryRow(`SELECT COALESCE(SUM(searches), 0) FROM search_counts`).Scan(&n))
	return n
}

// testSearchCounts checks the daily aggregate: one per search (its first
// page), whoever searched and whatever it found, and nothing else stored.
func testSearchCounts(t *testing.T, open Opener) {
	db := open(t)
	fx := NewFixture(t, db)
	for i := range 3 {
		must(t, db.CreateResource(As(fx.Platform, fx.PlatAdmin), &ksp.Resource{Kind: ksp.ResourceGuide, Title: fmt.Sprintf("Counted guide %d", i),
			Sharing: ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear}}))
	}
	day := func() string { return time.Now().UTC().Format(time.DateOnly) }
	start := day()
	_, next, err := db.Search(context.Background(), ksp.SearchQuery{Q: "counted", Page: ksp.Page{Limit: 1}})
	must(t, err)
	_, _, err = db.Search(context.Background(), ksp.SearchQuery{Q: "counted", Page: ksp.Page{Limit: 1, Cursor: next}})
	must(t, err)
	_, _, err = db.Search(As(fx.Startup, fx.StartAdm), ksp.SearchQuery{Q: "nothing matches this"})
	must(t, err)
	_, _, err = db.Search(Staff(), ksp.SearchQuery{Q: "guide"})
	must(t, err)
	end := day()
	counts, err := db.SearchCounts(context.Background(), "2000-01-01", "2999-12-31")
	must(t, err)
	var total int64
	for _, c := range counts {
		if c.Day != start && c.Day != end {
			t.Errorf("count on %s, searches ran on %s", c.Day, start)
		}
		total += c.Searches
	}
	if total != 3 {
		t.Errorf("counted %d searches (%+v), want 3: a second page is the same search", total, counts)
	}
	if got, err := db.SearchCounts(context.Background(), "2000-01-01", "2000-01-02"); err != nil || len(got) != 0 {
		t.Errorf("empty period: %+v %v", got, err)
	}
	for _, bad := range []struct{ from, to, field string }{{"2026-13-01", "2026-12-01", "from"}, {"2026-01-01", "tomorrow", "to"}, {"2026-02-01", "2026-01-01", "to"}} {
		_, err := db.SearchCounts(context.Background(), bad.from, bad.to)
		var ke *ksp.Error
		if !asError(err, &ke) || ke.Code != ksp.EINVALID || ke.Fields[0].Field != bad.field {
			t.Errorf("SearchCounts(%s, %s): %v, want invalid %s", bad.from, bad.to, err, bad.field)
		}
	}
	// Only the day and the number are kept.
	var cols int
	rows, err := db.SQL().Query(`SELECT * FROM search_counts`)
	must(t, err)
	names, err := rows.Columns()
	must(t, err)
	rows.Close()
	cols = len(names)
	if cols != 2 {
		t.Errorf("search_counts has columns %v", names)
	}
}

// testSearchFollowsWrites checks that the triggers keep the indexes in
// step with every write of resources and entities, whichever code makes
// it.
func testSearchFollowsWrites(t *testing.T, open Opener) {
	db := open(t)
	fx := NewFixture(t, db)
	author := As(fx.Platform, fx.PlatAdmin)
	ctx := As(fx.Platform, fx.PlatView)
	find := func(q string) []string {
		t.Helper()
		items, _, err := db.Search(ctx, ksp.SearchQuery{Q: q})
		must(t, err)
		var ids []string
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	r := &ksp.Resource{Kind: ksp.ResourceGuide, Title: "Oldtitle guide", Summary: "oldsummary", Body: "oldbody", Tags: []string{"oldtag"},
		Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}}
	must(t, db.CreateResource(author, r))
	for _, w := range []string{"oldtitle", "oldsummary", "oldbody", "oldtag"} {
		if got := find(w); !slices.Equal(got, []string{r.ID}) {
			t.Errorf("%s after create: %v", w, got)
		}
	}
	title, summary, body, tags := "Newtitle guide", "newsummary", "newbody", []string{"newtag"}
	_, err := db.UpdateResource(author, r.ID, ksp.ResourceUpdate{Title: &title, Summary: &summary, Body: &body, Tags: &tags})
	must(t, err)
	for _, w := range []string{"oldtitle", "oldsummary", "oldbody", "oldtag"} {
		if got := find(w); len(got) != 0 {
			t.Errorf("%s after update: %v", w, got)
		}
	}
	for _, w := range []string{"newtitle", "newsummary", "newbody", "newtag"} {
		if got := find(w); !slices.Equal(got, []string{r.ID}) {
			t.Errorf("%s after update: %v", w, got)
		}
	}
	must(t, db.DeleteResource(author, r.ID))
	if got := find("newtitle"); len(got) != 0 {
		t.Errorf("found after delete: %v", got)
	}

	e := &ksp.Entity{Kind: ksp.EntityGroup, Name: "Firstname Front", Aliases: []ksp.EntityAlias{{Name: "Oldalias"}}}
	must(t, db.CreateEntity(Staff(), e))
	aliases := []ksp.EntityAlias{{Name: "Newalias"}}
	name := "Secondname Front"
	_, err = db.UpdateEntity(Staff(), e.ID, ksp.EntityUpdate{Name: &name, Aliases: &aliases})
	must(t, err)
	for w, want := range map[string]int{"firstname": 0, "oldalias": 0, "secondname": 1, "newalias": 1, "front": 1} {
		if got := find(w); len(got) != want {
			t.Errorf("entity %s after update: %v, want %d", w, got, want)
		}
	}
	// The JSON around alias names is not searchable.
	for _, w := range []string{"quality", "name"} {
		if got := find(w); len(got) != 0 {
			t.Errorf("%q found %v: the aliases' JSON was indexed", w, got)
		}
	}
	// The UN import writes entities in its own statements.
	_, err = db.ImportUNSC(Staff(), strings.NewReader(string(UNSCSnapshot(t, "consolidated-2024-09-26.xml"))), false)
	must(t, err)
	items, _, err := db.Search(ctx, ksp.SearchQuery{Q: "haqqani network", Types: []string{ksp.SearchEntity}})
	must(t, err)
	if len(items) == 0 || !strings.Contains(strings.ToLower(items[0].Title), "haqqani") {
		t.Errorf("imported entities not searchable: %+v", items)
	}
}

func asError(err error, target **ksp.Error) bool { return errors.As(err, target) }

// RunSearchUpgrade builds a database as the release before search left it
// (migrations up to 010), with an entity and a resource in it, then
// applies the rest and checks that the search found them (the backfill)
// and follows their later edits and removal.
func RunSearchUpgrade(t *testing.T, db UpgradeStore) {
	ctx := context.Background()
	must(t, db.MigrateTo(ctx, "010_library"))
	fx := NewFixture(t, db)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, db.Rebind(q), args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := ksp.Now().UnixMicro()
	eid, rid := ksp.NewID(), ksp.NewID()
	exec(`INSERT INTO entities (id, external_key, kind, name, original_name, aliases, comments, search_text, created_at, updated_at) VALUES (?, 'UN:1', 'entity', 'Backfilled Brigade', '', ?, 'Old comment', 'backfilled brigade', ?, ?)`,
		eid, `[{"quality":"a.k.a.","name":"Prelisted Front"}]`, now, now)
	exec(`INSERT INTO resources (id, kind, title, summary, body, tags, jurisdictions, tag_lines, jur_lines, language, owner_org_id, distribution, tlp, revision, author_id, created_at, updated_at)
		VALUES (?, 'guide', 'Backfilled guide', '', 'Written before search', '["legacy"]', '[]', ?, '', 'en', ?, 'members', 'GREEN', 1, ?, ?, ?)`,
		rid, "\nlegacy\n", fx.Platform.ID, fx.PlatAdmin.ID, now, now)
	must(t, db.Migrate(ctx))
	member := As(fx.Platform, fx.PlatView)
	find := func(q string) []string {
		t.Helper()
		items, _, err := db.Search(member, ksp.SearchQuery{Q: q})
		must(t, err)
		var ids []string
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	for q, want := range map[string][]string{"backfilled": {eid, rid}, "prelisted": {eid}, "legacy": {rid}, "comment": {eid}} {
		got := find(q)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q after the upgrade: %v, want %v", q, got, want)
		}
	}
	name := "Renamed Brigade"
	_, err := db.UpdateEntity(Staff(), eid, ksp.EntityUpdate{Name: &name})
	must(t, err)
	if got := find("backfilled"); !slices.Equal(got, []string{rid}) {
		t.Errorf("after renaming the entity: %v", got)
	}
	must(t, db.DeleteResource(As(fx.Platform, fx.PlatAdmin), rid))
	if got := find("backfilled"); len(got) != 0 {
		t.Errorf("after deleting the resource: %v", got)
	}
	if got := find("renamed"); !slices.Equal(got, []string{eid}) {
		t.Errorf("renamed entity: %v", got)
	}
}
