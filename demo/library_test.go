package demo_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/demo"
	"github.com/kspplatform/ksp/sqlite"
)

// TestSeedLibrary seeds the demo with its library into a fresh store:
// every embedded file becomes one resource owned by the staff org, public
// ones readable without an account, and a second start adds nothing.
func TestSeedLibrary(t *testing.T) {
	files, err := demo.LibraryFiles()
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded library files: %v %v", files, err)
	}
	want, err := demo.LibraryResources()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(files) {
		t.Fatalf("%d files but %d resources", len(files), len(want))
	}
	log := slog.New(slog.DiscardHandler)
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ksp.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &demo.Seeder{Store: db, Log: log, Extend: []func(context.Context, *demo.World) error{demo.SeedLibrary}}
	staff := ksp.NewContext(context.Background(), ksp.SystemActor("test"))
	for start := 1; start <= 2; start++ {
		if _, err := s.Run(context.Background(), io.Discard); err != nil {
			t.Fatalf("start %d: %v", start, err)
		}
		got, _, err := db.FindResources(staff, ksp.ResourceFilter{Page: ksp.Page{Limit: ksp.MaxLimit}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("start %d: %d resources, want %d", start, len(got), len(want))
		}
		byTitle := map[string]*ksp.Resource{}
		for _, r := range got {
			byTitle[r.Title] = r
		}
		for _, w := range want {
			r := byTitle[w.Title]
			switch {
			case r == nil:
				t.Errorf("start %d: %q not seeded", start, w.Title)
			case r.OwnerOrgID != ksp.StaffOrgID || r.Revision != 1 || r.Body != w.Body || r.Kind != w.Kind || r.Distribution != w.Distribution:
				t.Errorf("start %d: %q seeded as %+v", start, w.Title, r)
			case r.Distribution == ksp.DistPublic:
				if _, err := db.FindResourceByID(context.Background(), r.ID); err != nil {
					t.Errorf("public %q not readable anonymously: %v", w.Title, err)
				}
			}
		}
	}
}

func TestParseResource(t *testing.T) {
	good := "---\ntitle: A title: with a colon\nkind: template\nsummary: \"Quoted.\"\ntags: Terms-of-service, policy\njurisdictions: int, eu\nlanguage: en\ndistribution: public\ntlp: CLEAR\n---\n# Body\n\nText.\n"
	r, err := demo.ParseResource(strings.ReplaceAll(good, "\n", "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "A title: with a colon" || r.Summary != "Quoted." || r.Kind != ksp.ResourceTemplate || strings.Join(r.Tags, ",") != "policy,terms-of-service" ||
		strings.Join(r.Jurisdictions, ",") != "EU,INT" || r.Body != "# Body\n\nText.\n" || r.Distribution != ksp.DistPublic || r.TLP != ksp.TLPClear {
		t.Errorf("parsed %+v", r)
	}
	bad := map[string]string{
		"no front matter":      "# Just a body\n",
		"not closed":           "---\ntitle: x\nkind: guide\n",
		"unknown key":          "---\ntitle: x\nkind: guide\nauthor: me\n---\nbody",
		"no kind":              "---\ntitle: x\n---\nbody",
		"bad kind":             "---\ntitle: x\nkind: poster\n---\nbody",
		"public but not CLEAR": "---\ntitle: x\nkind: guide\ndistribution: public\ntlp: GREEN\n---\nbody",
		"twice":                "---\ntitle: x\ntitle: y\nkind: guide\n---\nbody",
		"no colon":             "---\ntitle x\nkind: guide\n---\nbody",
	}
	for name, src := range bad {
		if _, err := demo.ParseResource(src); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
