package web

import (
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

func TestParseValueLine(t *testing.T) {
	pdq := strings.Repeat("ab", 32)
	tests := []struct {
		in      string
		types   string
		value   string
		problem bool
	}{
		{pdq, "pdq sha256", pdq, false},
		{strings.ToUpper(pdq), "pdq sha256", pdq, false},
		{"  sha256:" + pdq + " ", "sha256", pdq, false},
		{"pdq:" + pdq, "pdq", pdq, false},
		{strings.Repeat("0f", 16), "md5", strings.Repeat("0f", 16), false},
		{"md5:" + strings.Repeat("0f", 8), "", "", true},
		{"https://Example.COM/a/../b?utm_source=x", "url", "https://example.com/b", false},
		{"url:https://example.com/", "url", "https://example.com/", false},
		{"http://exa mple.com/", "", "", true},
		{"ftp://example.com/", "", "", true},
		{"not a hash", "", "", true},
		{strings.Repeat("g", 32), "", "", true},
	}
	for _, tt := range tests {
		types, value, problem := parseValueLine(tt.in)
		if strings.Join(types, " ") != tt.types || (problem != "") != tt.problem || (!tt.problem && value != tt.value) {
			t.Errorf("parseValueLine(%q) = %v %q %q", tt.in, types, value, problem)
		}
	}
}

// TestCheckValues pastes a mixed list with a bad line: matches are named by
// labels and first seen, the bad line by its number, nothing is stored,
// and the CSV download carries the same.
func TestCheckValues(t *testing.T) {
	h, matcher := bankHarness(t, Config{})
	m := seedMembers(h)
	pdq := strings.Repeat("5a", 32)
	md5 := strings.Repeat("c3", 16)
	sig := h.submit(m.a, ksp.SubmissionInput{Type: ksp.TypePDQ, Value: pdq, ContentType: "photo", Labels: []string{"manifesto"}, Basis: "branded_publication"})
	h.submit(m.a, ksp.SubmissionInput{Type: ksp.TypeURL, Value: "https://paste.example/abc", ContentType: "url", Labels: []string{"recruitment"}, Basis: "branded_publication"})
	hidden := ksp.SubmissionInput{Type: ksp.TypeMD5, Value: md5, ContentType: "video", Labels: []string{"propaganda"}, Basis: "branded_publication", Distribution: ksp.DistOwner, TLP: ksp.TLPRed}
	h.submit(m.a, hidden)
	if err := matcher.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	count := h.signalCount()

	b := h.client()
	b.signIn(m.b, 0)
	b.want(b.get("/check"), 200, "Check hashes and URLs", `name="values"`)
	values := strings.Join([]string{pdq, "", "definitely not a hash", "HTTPS://paste.example/abc#frag", md5, "https://other.example/"}, "\n")
	b.want(b.post("/check", url.Values{"values": {values}}), 200,
		"2 of 5 lines matched, 1 could not be read", "Nothing you pasted was stored",
		`href="/signals/`+sig.ID+`"`, "Manifesto", "first seen", "Line 3: not a PDQ, MD5 or SHA-256 hash", "Recruitment")
	// Another org's private value does not match for this org.
	if strings.Count(b.body, "No match") != 2 {
		t.Errorf("want the private MD5 and the unknown URL unmatched:\n%s", excerpt(b.body))
	}
	if n := h.signalCount(); n != count {
		t.Fatalf("checking stored something: %d → %d signals", count, n)
	}

	// The same as CSV.
	b.get("/check")
	res := b.post("/check", url.Values{"values": {values}, "format": {"csv"}})
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV download: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(b.body)).ReadAll()
	if err != nil || len(rows) != 6 || rows[0][0] != "line" {
		t.Fatalf("CSV: %v %q", err, b.body)
	}
	var matched []string
	for _, r := range rows[1:] {
		if r[4] != "" {
			matched = append(matched, r[0]+":"+r[7])
		}
		if r[0] == "3" && !strings.Contains(r[3], "not a PDQ") {
			t.Errorf("line 3 row %v lacks its error", r)
		}
	}
	if strings.Join(matched, " ") != "1:manifesto 4:recruitment" {
		t.Errorf("CSV matches %v", matched)
	}

	// Too many lines, nothing pasted, governments.
	b.get("/check")
	b.want(b.post("/check", url.Values{"values": {strings.Repeat(md5+"\n", ksp.MaxMatchQueries+1)}}), 413, "Paste at most 1000 values")
	b.get("/check")
	b.want(b.post("/check", url.Values{"values": {"\n \n"}}), 400, "Paste at least one hash or URL")
	g := h.client()
	g.signIn(m.gov, 0)
	g.get("/check")
	g.want(g.post("/check", url.Values{"values": {pdq}}), 403, "not available to your organisation")
}
