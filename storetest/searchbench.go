package storetest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// benchVocabulary makes n distinct made-up words from syllables, in a fixed
// order: word i is drawn Zipf-like below, so low ranks are common words
// and high ranks rare ones, as in real text.
func benchVocabulary(n int) []string {
	onsets := []string{"b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr", "pl"}
	nuclei := []string{"a", "e", "i", "o", "u", "ai", "ou"}
	r := rand.New(rand.NewPCG(14, 2024))
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(onsets[r.IntN(len(onsets))])
			b.WriteString(nuclei[r.IntN(len(nuclei))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// benchLibrary is the generated library: its words by rank and its tags.
type benchLibrary struct {
	words []string
	tags  []string
}

func (l *benchLibrary) text(r *rand.Rand, z *rand.Zipf, n int) string {
	words := make([]string, n)
	for i := range words {
		words[i] = l.words[z.Uint64()]
	}
	// A sentence break now and then, so snippets have punctuation.
	for i := 11; i < n; i += 12 + r.IntN(6) {
		words[i] += "."
	}
	return strings.Join(words, " ")
}

// LoadSearchLibrary creates n resources through CreateResource with
// deterministic varied text (titles 4–9 words, summaries 15–40, bodies
// 120–400 over a 5,000-word vocabulary drawn Zipf-like, 1–3 of 40 tags,
// every kind, jurisdictions), owned by the fixture's three orgs and shared
// public, members, owner-only or with an audience in turn. It returns the
// vocabulary by rank.
func LoadSearchLibrary(tb testing.TB, db Store, fx *Fixture, n int) []string {
	lib := &benchLibrary{words: benchVocabulary(5000)}
	for i := range 40 {
		lib.tags = append(lib.tags, fmt.Sprintf("topic-%02d", i))
	}
	r := rand.New(rand.NewPCG(10, 10000))
	z := rand.NewZipf(r, 1.1, 2, uint64(len(lib.words)-1))
	authors := []struct {
		o *ksp.Org
		u *ksp.User
	}{{fx.Platform, fx.PlatAdmin}, {fx.Startup, fx.StartAdm}, {fx.Gov, fx.GovAdmin}}
	jurisdictions := []string{"INT", "EU", "GB", "AU", "US", "FR", "DE", "NZ"}
	for i := range n {
		a := authors[i%len(authors)]
		var s ksp.Sharing
		switch i % 5 {
		case 0, 1:
			s = ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear}
		case 2:
			s = ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}
		case 3:
			s = ksp.Sharing{Distribution: ksp.DistOwner, TLP: ksp.TLPAmber}
		case 4:
			s = ksp.Sharing{Distribution: ksp.DistAudience, Audience: []string{authors[(i+1)%len(authors)].o.ID}, TLP: ksp.TLPAmber}
		}
		var tags []string
		for range 1 + r.IntN(3) {
			tags = append(tags, lib.tags[r.IntN(len(lib.tags))])
		}
		res := &ksp.Resource{
			Kind:          ksp.ResourceKinds[i%len(ksp.ResourceKinds)],
			Title:         lib.text(r, z, 4+r.IntN(6)),
			Summary:       lib.text(r, z, 15+r.IntN(26)),
			Body:          lib.text(r, z, 120+r.IntN(281)),
			Tags:          tags,
			Jurisdictions: []string{jurisdictions[r.IntN(len(jurisdictions))]},
			Sharing:       s,
		}
		if err := db.CreateResource(As(a.o, a.u), res); err != nil {
			tb.Fatalf("resource %d: %v", i, err)
		}
	}
	return lib.words
}

// benchQuery is one search of a benchmark, named for the report.
type benchQuery struct {
	name string
	q    ksp.SearchQuery
}

// measureSearches runs every query once per iteration as ctx and reports
// the median and 90th percentile of one search (ranking, snippets of the
// first page of 20, and the count) in milliseconds, and the process's CPU
// time per search.
func measureSearches(b *testing.B, db Store, ctx context.Context, queries []benchQuery) {
	var times []time.Duration
	byName := map[string][]time.Duration{}
	found := 0
	cpu := processCPU()
	for b.Loop() {
		for _, q := range queries {
			start := time.Now()
			items, _, err := db.Search(ctx, q.q)
			times = append(times, time.Since(start))
			byName[q.name] = append(byName[q.name], time.Since(start))
			if err != nil {
				b.Fatalf("%s: %v", q.name, err)
			}
			found += len(items)
		}
	}
	cpu = processCPU() - cpu
	if found == 0 {
		b.Fatal("no search found anything")
	}
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[int(p*float64(len(times)-1))].Microseconds()) / 1000
	}
	// The median of each kind of query, in the verbose log, to tell which
	// ones make the tail.
	for name, ts := range byName {
		slices.Sort(ts)
		b.Logf("%-16s median %6.2f ms, max %6.2f ms (%d searches)", name, float64(ts[len(ts)/2].Microseconds())/1000, float64(ts[len(ts)-1].Microseconds())/1000, len(ts))
	}
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.9), "p90-ms")
	// The process's CPU time per search: for SQLite all of the work, for
	// PostgreSQL the client's share only.
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(times)), "cpu-ms/search")
	}
	b.ReportMetric(float64(found)/float64(len(times)), "results/search")
}

// BenchSearchResources measures Search over a library of 10,000 resources
// (LoadSearchLibrary, loaded once, outside the timing) as a member of one
// org: common, middling and rare words, two and three words, a prefix
// being typed, and the kind, tag and jurisdiction filters. Reports p50-ms
// and p90-ms of one search, with load-s the time of loading the library.
func BenchSearchResources(b *testing.B, db Store) {
	fx := NewFixture(b, db)
	start := time.Now()
	words := LoadSearchLibrary(b, db, fx, 10_000)
	load := time.Since(start)
	guide, law := ksp.ResourceGuide, ksp.ResourceLaw
	tag, eu := "topic-07", "EU"
	page := ksp.Page{Limit: 20}
	var queries []benchQuery
	add := func(name, q string, f func(*ksp.SearchQuery)) {
		sq := ksp.SearchQuery{Q: q, Page: page}
		if f != nil {
			f(&sq)
		}
		queries = append(queries, benchQuery{name, sq})
	}
	for _, rank := range []int{0, 3, 10} {
		add("common", words[rank]+" ", nil)
	}
	for _, rank := range []int{100, 300, 700} {
		add("middling", words[rank]+" ", nil)
	}
	for _, rank := range []int{2500, 4000, 4900} {
		add("rare", words[rank]+" ", nil)
	}
	add("two common", words[1]+" "+words[2]+" ", nil)
	add("two middling", words[150]+" "+words[160]+" ", nil)
	add("three", words[5]+" "+words[50]+" "+words[500]+" ", nil)
	add("prefix", words[200][:3], nil)
	add("word and prefix", words[4]+" "+words[40][:3], nil)
	add("kind", words[2]+" ", func(q *ksp.SearchQuery) { q.Kind = &guide })
	add("kind rare", words[300]+" ", func(q *ksp.SearchQuery) { q.Kind = &law })
	add("tag", words[2]+" ", func(q *ksp.SearchQuery) { q.Tag = &tag })
	add("jurisdiction", words[6]+" ", func(q *ksp.SearchQuery) { q.Jurisdiction = &eu })
	measureSearches(b, db, As(fx.Platform, fx.PlatView), queries)
	b.ReportMetric(load.Seconds(), "load-s")
}

// BenchSearchEntities measures Search over the 2024 UN list (875 entities
// and their aliases, imported once outside the timing) as a member: two
// words of every 25th entity's name, one word of an alias, and a prefix.
func BenchSearchEntities(b *testing.B, db Store) {
	fx := NewFixture(b, db)
	if _, err := db.ImportUNSC(Staff(), bytes.NewReader(UNSCSnapshot(b, "consolidated-2024-09-26.xml")), false); err != nil {
		b.Fatal(err)
	}
	ctx := As(fx.Platform, fx.PlatView)
	var all []*ksp.Entity
	f := ksp.EntityFilter{Page: ksp.Page{Limit: 1000}}
	for {
		page, next, err := db.FindEntities(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		f.Page.Cursor = next
	}
	slices.SortFunc(all, func(x, y *ksp.Entity) int { return strings.Compare(x.ExternalKey, y.ExternalKey) })
	var queries []benchQuery
	words := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	}
	for i := 0; i < len(all); i += 25 {
		e := all[i]
		if w := words(e.Name); len(w) >= 2 {
			queries = append(queries, benchQuery{"name", ksp.SearchQuery{Q: w[0] + " " + w[1] + " ", Page: ksp.Page{Limit: 20}}})
		}
		if len(e.Aliases) > 0 {
			if w := words(e.Aliases[0].Name); len(w) > 0 && len(w[len(w)-1]) >= 4 {
				queries = append(queries, benchQuery{"alias", ksp.SearchQuery{Q: w[len(w)-1], Page: ksp.Page{Limit: 20}}})
			}
		}
	}
	queries = append(queries, benchQuery{"common", ksp.SearchQuery{Q: "al ", Page: ksp.Page{Limit: 20}}},
		benchQuery{"regime", ksp.SearchQuery{Q: "islamic", Regime: ptr("Al-Qaida"), Page: ksp.Page{Limit: 20}}})
	measureSearches(b, db, ctx, queries)
}
