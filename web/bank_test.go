package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/signalio"
	"github.com/kspplatform/ksp/storetest"
)

func TestBankValue(t *testing.T) {
	for _, tt := range []struct{ typ, v, want string }{
		{ksp.TypeURL, "https://example.test/a/long/path/final-part?x=1", "example.test/…/final-part?x=1"},
		{ksp.TypeURL, "https://example.test/", "example.test/"},
		{ksp.TypeURL, "https://example.test/one", "example.test/one"},
		{ksp.TypeURL, "https://example.test/a/b/", "example.test/…/b/"},
		{ksp.TypeURL, "https://example.test/a/" + strings.Repeat("x", 50), "example.test/…/xxxxxxxxxxxxxxxx…xxxxxxxxxxxxxxx"},
		{ksp.TypePDQ, strings.Repeat("ab", 32), "abababababab…abababab"},
	} {
		if got := bankValue(tt.typ, tt.v); got != tt.want {
			t.Errorf("bankValue(%q) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// seedBank shares signals as m.a (members), one owner-only TLP:RED
// signal as m.b, and an AMBER one of m.a to m.b only.
func seedBank(t *testing.T, h *harness, m members) (ctxA, ctxB context.Context) {
	t.Helper()
	ctxA = storetest.As(m.a.org, m.a.user)
	ctxB = storetest.As(m.b.org, m.b.user)
	for i := 0; i < 3; i++ {
		if _, err := h.db.Submit(ctxA, storetest.Submission(i, ksp.DistMembers, ksp.TLPGreen)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	for _, u := range []string{"https://example.test/a/long/path/final-part?x=1", "https://example.test/a/long/path/other-end"} {
		in := ksp.SubmissionInput{Type: ksp.TypeURL, Value: u, ContentType: "url", Labels: []string{"propaganda"}, Basis: "branded_publication", Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}
		if _, err := h.db.Submit(ctxA, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.db.Submit(ctxB, storetest.Submission(50, ksp.DistOwner, ksp.TLPRed)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Submit(ctxA, storetest.Submission(60, ksp.DistAudience, ksp.TLPAmber, m.b.org.ID)); err != nil {
		t.Fatal(err)
	}
	return ctxA, ctxB
}

func TestSignalsSearchSort(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedMembers(h)
	seedBank(t, h, m)
	c := h.client()
	c.signIn(m.aViewer, 0)
	c.want(c.get("/signals"), 200, "example.test/…/final-part?x=1", "example.test/…/other-end", `title="https://example.test/a/long/path/final-part?x=1"`,
		"First seen", "Shared by", "Platform", "Export what I may export", `href="/signals/export?format=csv"`)
	// Search by host: the two URLs, no hash.
	c.want(c.get("/signals?q=EXAMPLE.test"), 200, "final-part", "other-end")
	if strings.Contains(c.body, storetest.PDQValue(0)[:12]) {
		t.Fatal("a host search lists a hash")
	}
	// Search by a hash prefix in capitals.
	c.want(c.get("/signals?q="+strings.ToUpper(storetest.PDQValue(1)[:7])), 200, storetest.PDQValue(1)[:12])
	if strings.Contains(c.body, "final-part") {
		t.Fatal("a hash search lists a URL")
	}
	// The other org's owner-only signal is not found by its value.
	c.want(c.get("/signals?q="+storetest.PDQValue(50)), 200, "No signals match")
	// Sorts: oldest first puts the first shared first.
	c.want(c.get("/signals?sort=first_seen"), 200, "First seen, oldest first")
	i0, i2 := strings.Index(c.body, storetest.PDQValue(0)[:12]), strings.Index(c.body, storetest.PDQValue(2)[:12])
	if i0 < 0 || i2 < 0 || i0 > i2 {
		t.Fatalf("first_seen: positions %d, %d", i0, i2)
	}
	c.get("/signals?sort=-first_seen")
	if i0, i2 = strings.Index(c.body, storetest.PDQValue(0)[:12]), strings.Index(c.body, storetest.PDQValue(2)[:12]); i0 < i2 {
		t.Fatalf("-first_seen: positions %d, %d", i0, i2)
	}
	// Bad input is named on the page.
	c.want(c.get("/signals?sort=most"), 400, "Sort by: must be one of")
	c.want(c.get("/signals?q=ftp://x"), 400, "Search: URLs in the bank are http or https")
	// A search and a sort together.
	c.want(c.get("/signals?q=example.test&sort=-confidence"), 200, "final-part")
}

func TestSignalsExport(t *testing.T) {
	h := newHarness(t, Config{})
	m := seedBank2(t, h)
	for _, format := range []string{"csv", "ndjson"} {
		b := h.client()
		b.signIn(m.b, 0)
		res := b.get("/signals/export?format=" + format)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="ksp-signals-`+time.Now().UTC().Format("2006-01-02")+"."+format+`"`) {
			t.Fatalf("%s: %d %q", format, res.StatusCode, res.Header.Get("Content-Disposition"))
		}
		// What leaves towards b: a's GREEN signals, the AMBER one b is in
		// the audience of, b's own RED one never.
		recs := readExport(t, b.body, format)
		if len(recs) != 6 {
			t.Fatalf("%s: %d records, want 6", format, len(recs))
		}
		for _, r := range recs {
			if r.TLP == ksp.TLPRed || r.Value == storetest.PDQValue(50) {
				t.Fatalf("%s: a TLP:RED signal left: %+v", format, r)
			}
		}
		// The same org re-imports it through ksp import's code path:
		// nothing changes.
		next, err := signalio.Open(strings.NewReader(b.body), format)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := h.db.SubmitBatch(storetest.As(m.b.org, m.b.user), next, "test")
		if err != nil || sum.Created != 0 || sum.Merged != 0 || sum.Unchanged != 6 || len(sum.Rejected) != 0 {
			t.Fatalf("%s: re-import: %+v, %v", format, sum, err)
		}
		// The org's own AMBER signal leaves; the government, outside its
		// distribution, gets none of it.
		g := h.client()
		g.signIn(m.gov, 0)
		g.get("/signals/export?format=" + format)
		for _, r := range readExport(t, g.body, format) {
			if r.TLP == ksp.TLPAmber || r.TLP == ksp.TLPRed {
				t.Fatalf("%s: the government exports %+v", format, r)
			}
		}
	}
	c := h.client()
	c.signIn(m.a, 0)
	c.want(c.get("/signals/export?format=xml"), 400, "Choose csv or ndjson")
	anon := h.client()
	anon.want(anon.get("/signals/export?format=csv"), 200, "Sign in")
}

func seedBank2(t *testing.T, h *harness) members {
	m := seedMembers(h)
	seedBank(t, h, m)
	return m
}

func readExport(t *testing.T, body, format string) []signalio.ExportRecord {
	t.Helper()
	var out []signalio.ExportRecord
	if format == "ndjson" {
		dec := json.NewDecoder(bytes.NewReader([]byte(body)))
		for dec.More() {
			var r signalio.ExportRecord
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	next, err := signalio.Open(strings.NewReader(body), "csv")
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, in, err := next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, signalio.ExportRecord{Value: in.Value, TLP: in.TLP})
	}
}
