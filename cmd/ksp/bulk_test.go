package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/sqlite"
	"github.com/kspplatform/ksp/storetest"
)

// seedBank fills a SQLite file with the signals of several organisations:
// every allowed distribution × TLP from each member org and the staff org,
// values two orgs share with different sharing, URLs flagged contains_pii,
// a signal only a government submitted, a retracted submission, feedback,
// and submissions with every field set.
func seedBank(t *testing.T, path string) *storetest.Fixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := storetest.NewFixture(t, db)
	type org struct {
		ctx    context.Context
		o      *ksp.Org
		others []string
	}
	orgs := []org{
		{storetest.As(f.Platform, f.PlatAdmin), f.Platform, []string{f.Startup.ID, f.Gov.ID}},
		{storetest.As(f.Startup, f.StartAdm), f.Startup, []string{f.Platform.ID}},
		{storetest.As(f.Gov, f.GovAdmin), f.Gov, []string{f.Platform.ID, f.Startup.ID}},
		{storetest.As(f.StaffOrg(t), f.StaffUser), f.StaffOrg(t), []string{f.Gov.ID}},
	}
	submit := func(o org, in ksp.SubmissionInput) *ksp.Signal {
		t.Helper()
		res, err := db.Submit(o.ctx, in)
		if err != nil {
			t.Fatalf("%s submits %s: %v", o.o.Name, in.Value, err)
		}
		return res.Signal
	}
	// Entity links name an entity that exists (the store checks).
	linked := &ksp.Entity{Kind: ksp.EntityGroup, Name: "Seeded Group"}
	if err := db.CreateEntity(storetest.Staff(), linked); err != nil {
		t.Fatal(err)
	}
	// Incident links name an active incident the submitter sees (the
	// store checks); staff activate it alone, as in an emergency.
	incident := &ksp.Incident{Type: ksp.IncidentTypeContentIncident, Title: "Seeded incident", Sharing: ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}}
	if err := db.CreateIncident(orgs[3].ctx, incident); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ActivateIncident(orgs[3].ctx, incident.ID, ksp.ActivateIncidentInput{Emergency: true}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for oi, o := range orgs {
		for _, d := range []ksp.Distribution{ksp.DistOwner, ksp.DistAudience, ksp.DistMembers} {
			for _, tlp := range ksp.TLPs {
				var audience []string
				if d == ksp.DistAudience {
					audience = o.others
				}
				var fe ksp.Fields
				if ksp.ValidateSharing(ksp.Sharing{Distribution: d, TLP: tlp, Audience: audience}, false, &fe); len(fe) > 0 {
					continue
				}
				n++
				in := storetest.Submission(n, d, tlp, audience...)
				q := 50 + n%50
				in.Quality, in.Severity, in.Labels = &q, ksp.Severities[n%4], []string{ksp.Labels[n%8], ksp.Labels[(n+3)%8]}
				switch n % 4 {
				case 0:
					in.Basis, in.EntityID, in.Flags = "designated_entity", linked.ID, []string{"official"}
				case 1:
					in.Basis, in.IncidentID, in.Flags = "perpetrator_content", incident.ID, []string{"graphic", "context_sensitive"}
				case 2:
					in.Basis, in.BasisReason, in.PolicyVersion = "other", fmt.Sprintf(" seen on %s, \"quoted\"\nover two lines ", o.o.Name), "2025-01"
				}
				submit(o, in)
				// Another org shares the value, with sharing of its own.
				other := orgs[(oi+1)%len(orgs)]
				if n%3 == 0 {
					submit(other, storetest.Submission(n, ksp.DistMembers, ksp.TLPGreen))
				}
			}
		}
	}
	plat, start, gov := orgs[0], orgs[1], orgs[2]
	pii := func(o org, url string) *ksp.Signal {
		return submit(o, ksp.SubmissionInput{Type: ksp.TypeURL, Value: url, ContentType: "url", Labels: []string{"recruitment"}, Flags: []string{"contains_pii"}, BasisReason: "a handle"})
	}
	pii(start, "https://social.example/users/someone-private")
	pii(plat, "https://social.example/users/someone-else")
	govOnly := submit(gov, ksp.SubmissionInput{Type: ksp.TypeMD5, Value: strings.Repeat("0d", 16), ContentType: "video", Labels: []string{"attack_content"}, Basis: "branded_publication"})
	if govOnly.Actionable {
		t.Fatal("a government-only signal is actionable")
	}
	// The platform's retracted submission of a value the start-up shares.
	retracted := submit(plat, storetest.Submission(500, ksp.DistMembers, ksp.TLPGreen))
	submit(start, storetest.Submission(500, ksp.DistMembers, ksp.TLPAmber))
	if _, err := db.Retract(plat.ctx, retracted.ID); err != nil {
		t.Fatal(err)
	}
	shared := submit(start, storetest.Submission(501, ksp.DistMembers, ksp.TLPGreen))
	submit(plat, storetest.Submission(501, ksp.DistMembers, ksp.TLPClear))
	if _, err := db.GiveFeedback(plat.ctx, shared.ID, ksp.FeedbackInput{Verdict: ksp.VerdictTruePositive}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GiveFeedback(gov.ctx, shared.ID, ksp.FeedbackInput{Verdict: ksp.VerdictFalsePositive}); err != nil {
		t.Fatal(err)
	}
	return f
}

// dumpDB renders every row of every table, to compare whole states.
func dumpDB(t *testing.T, path string) string {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	var out strings.Builder
	for _, table := range tables {
		rows, err := raw.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%v", vals))
		}
		rows.Close()
		slices.Sort(lines)
		fmt.Fprintf(&out, "== %s %v\n%s\n", table, cols, strings.Join(lines, "\n"))
	}
	return out.String()
}

// TestExportImportRoundTrip: exporting and importing again as the same
// organisation changes nothing, for every organisation, both formats and
// every way of naming the organisation.
func TestExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ksp.db")
	f := seedBank(t, db)
	env := map[string]string{"KSP_DB": db}
	for _, tc := range []struct {
		name string
		org  []string
	}{
		{"platform by id", []string{"--org", f.Platform.ID}},
		{"start-up by slug", []string{"--org", f.Startup.Slug}},
		{"government by name", []string{"--org", strings.ToUpper(f.Gov.Name)}},
		{"staff by default", nil},
	} {
		for _, format := range []string{"csv", "ndjson"} {
			t.Run(tc.name+" "+format, func(t *testing.T) {
				before := dumpDB(t, db)
				code, out, errs := run(t, env, "", append([]string{"export", "signals", "--format", format}, tc.org...)...)
				if code != 0 {
					t.Fatalf("export: %d %s", code, errs)
				}
				rows := exported(t, format, out)
				own := 0
				for _, r := range rows {
					if r["own"] == "true" {
						own++
					}
					if r["value_redacted"] == "true" && r["own"] != "false" {
						t.Errorf("redacted row offered as importable: %v", r)
					}
				}
				if own == 0 || own == len(rows) {
					t.Fatalf("%d of %d rows own: the scenario no longer mixes own and other rows", own, len(rows))
				}
				file := filepath.Join(t.TempDir(), "export."+format)
				if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
					t.Fatal(err)
				}
				code, out, errs = run(t, env, "", append([]string{"import", "signals"}, append(tc.org, file)...)...)
				if want := fmt.Sprintf("created=0 merged=0 unchanged=%d rejected=0\n", len(rows)); code != 0 || out != want {
					t.Fatalf("re-import: %d %q, want %q\n%s", code, out, want, errs)
				}
				if after := dumpDB(t, db); after != before {
					t.Fatalf("the re-import changed the store:\n%s", firstDiff(before, after))
				}
			})
		}
	}
	// The platform's export names the other org's PII URL only as a
	// redacted, foreign row, and the government-only signal as foreign.
	_, out, _ := run(t, env, "", "export", "signals", "--format", "ndjson", "--org", f.Platform.Slug)
	var redacted, govOnly int
	for _, r := range exported(t, "ndjson", out) {
		if r["value_redacted"] == "true" && r["own"] == "false" && r["value"] == "https://social.example/…" {
			redacted++
		}
		if r["value"] == strings.Repeat("0d", 16) && r["own"] == "false" && r["actionable"] == "false" {
			govOnly++
		}
	}
	if redacted != 1 || govOnly != 1 {
		t.Fatalf("redacted rows %d, government-only rows %d, want 1 and 1:\n%s", redacted, govOnly, out)
	}
}

// exported parses an export into rows of column → text.
func exported(t *testing.T, format, out string) []map[string]string {
	t.Helper()
	var rows []map[string]string
	if format == "ndjson" {
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			r := map[string]string{}
			for k, v := range m {
				r[k] = fmt.Sprint(v)
			}
			rows = append(rows, r)
		}
		return rows
	}
	recs := readCSV(t, out)
	for _, rec := range recs[1:] {
		r := map[string]string{}
		for i, c := range recs[0] {
			r[c] = rec[i]
		}
		rows = append(rows, r)
	}
	return rows
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines before, %d after", len(al), len(bl))
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
