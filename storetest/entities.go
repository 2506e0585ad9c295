package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/sharedtest"
)

// UNSCSnapshot reads one of the UN list snapshots of the shared test data
// ($KSP_SHARED, else shared/ beside the module root). Missing data skips the
// test, or fails it under CI=true.
func UNSCSnapshot(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedtest.Dir(t, "unsc"), "testdata", "unsc", name))
	if err != nil {
		t.Fatalf("shared UN snapshot: %v", err)
	}
	return b
}

// entityState digests every entity, listing and import record, and the audit
// head, so that a test can tell that a refused import changed nothing.
func entityState(t *testing.T, db Store) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		`SELECT id || '|' || COALESCE(external_key, '') || '|' || kind || '|' || name || '|' || original_name || '|' || aliases || '|' || comments || '|' || nationalities || '|' || notes || '|' || ideology || '|' || CAST(updated_at AS TEXT) FROM entities ORDER BY id`,
		`SELECT entity_id || '|' || list || '|' || regime || '|' || reference_number || '|' || listed_on || '|' || delisted_on FROM entity_lists ORDER BY entity_id, list`,
		`SELECT source || '|' || CAST(generated_at AS TEXT) FROM list_imports ORDER BY source`,
		`SELECT CAST(seq AS TEXT) || '|' || hash FROM audit_head`,
	} {
		rows, err := db.SQL().Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			must(t, rows.Scan(&s))
			fmt.Fprintln(h, s)
		}
		must(t, rows.Err())
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func testEntityImport(t *testing.T, open Opener) {
	y2017 := UNSCSnapshot(t, "consolidated-2017-07-03.xml")
	y2024 := UNSCSnapshot(t, "consolidated-2024-09-26.xml")
	db := open(t)
	fx := NewFixture(t, db)
	staff := Staff()
	importing := func(b []byte, force bool) (*ksp.ImportCounts, error) {
		return db.ImportUNSC(staff, bytes.NewReader(b), force)
	}
	steps := []struct {
		name  string
		file  []byte
		force bool
		want  ksp.ImportCounts
	}{
		{"2017 into an empty store", y2017, false, ksp.ImportCounts{Added: 1021}},
		// 719 DATAIDs are in both files (SOURCE.md); of those, 566 changed
		// (comments, aliases, names…; white space aside) and 153 did not.
		{"2024 after 2017", y2024, false, ksp.ImportCounts{Added: 156, Updated: 566, Delisted: 302, Unchanged: 153}},
		{"2024 again", y2024, false, ksp.ImportCounts{Unchanged: 875}},
	}
	imports := 0
	for _, s := range steps {
		got, err := importing(s.file, s.force)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		imports++
		if *got != s.want {
			t.Errorf("%s: %+v, want %+v", s.name, *got, s.want)
		}
	}

	// A delisted entity keeps its record, dated by the 2024 file.
	var delisted, listed int
	must(t, db.SQL().QueryRow(db.Rebind(`SELECT COUNT(*) FROM entity_lists WHERE list = 'UN' AND delisted_on = ?`), "2024-09-26").Scan(&delisted))
	must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM entity_lists WHERE list = 'UN' AND delisted_on = ''`).Scan(&listed))
	if delisted != 302 || listed != 875 {
		t.Errorf("delisted %d, listed %d; want 302 and 875", delisted, listed)
	}

	before := entityState(t, db)
	refused := []struct {
		name string
		file []byte
		code string
	}{
		{"older file", y2017, ksp.ECONFLICT},
		{"foreign XML", []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>`), ksp.EINVALID},
		{"truncated file", y2024[:len(y2024)/2], ksp.EINVALID},
		{"not XML", []byte("type,value\nmd5,0123\n"), ksp.EINVALID},
		{"empty list", []byte(`<CONSOLIDATED_LIST dateGenerated="2030-01-01T00:00:00Z"><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>`), ksp.EINVALID},
	}
	for _, r := range refused {
		_, err := importing(r.file, false)
		if ksp.ErrorCode(err) != r.code {
			t.Errorf("%s: error %v, want code %s", r.name, err, r.code)
		}
		if after := entityState(t, db); after != before {
			t.Errorf("%s: refused import changed the store", r.name)
		}
	}
	// Members read but do not import.
	if _, err := db.ImportUNSC(As(fx.Platform, fx.PlatAdmin), bytes.NewReader(y2024), true); ksp.ErrorCode(err) != ksp.EFORBIDDEN {
		t.Errorf("member import: %v, want forbidden", err)
	}
	if after := entityState(t, db); after != before {
		t.Error("a member's refused import changed the store")
	}

	// With force the older file is imported: the 156 2024-only entries are
	// delisted, the 302 2017-only ones are listed again and the 566 that
	// changed change back (868 updated).
	got, err := importing(y2017, true)
	if err != nil {
		t.Fatalf("forced 2017: %v", err)
	}
	imports++
	if want := (ksp.ImportCounts{Updated: 868, Delisted: 156, Unchanged: 153}); *got != want {
		t.Errorf("forced 2017: %+v, want %+v", *got, want)
	}

	action := "entity.import"
	events, _, err := db.FindAuditEvents(staff, ksp.AuditFilter{Action: &action, Page: ksp.Page{Limit: 100}})
	must(t, err)
	if len(events) != imports {
		t.Errorf("%d entity.import audit events, want one per import (%d)", len(events), imports)
	}
}

func testEntities(t *testing.T, open Opener) {
	y2024 := UNSCSnapshot(t, "consolidated-2024-09-26.xml")
	db := open(t)
	fx := NewFixture(t, db)
	staff := Staff()
	if _, err := db.ImportUNSC(staff, bytes.NewReader(y2024), false); err != nil {
		t.Fatal(err)
	}
	member := As(fx.Platform, fx.PlatView)

	aqi, err := db.FindEntityByID(member, "QDe.115")
	must(t, err)
	want := ksp.EntityListing{List: ksp.ListUN, Regime: "Al-Qaida", ReferenceNumber: "QDe.115", ListedOn: "2004-10-18"}
	if aqi.Name != "AL-QAIDA IN IRAQ" || aqi.Kind != ksp.EntityGroup || aqi.ExternalKey != "UN:113966" ||
		aqi.OriginalName != "القاعده في العراق" || len(aqi.Aliases) != 16 || len(aqi.Lists) != 1 || aqi.Lists[0] != want {
		t.Errorf("QDe.115 = %+v", aqi)
	}
	byID, err := db.FindEntityByID(member, aqi.ID)
	must(t, err)
	if byID.ID != aqi.ID {
		t.Errorf("by id: %s, want %s", byID.ID, aqi.ID)
	}
	for _, id := range []string{"QDe.999", "", "00000000-0000-7000-8000-000000000000"} {
		if _, err := db.FindEntityByID(member, id); ksp.ErrorCode(err) != ksp.ENOTFOUND {
			t.Errorf("FindEntityByID(%q): %v, want not found", id, err)
		}
	}
	if _, err := db.FindEntityByID(context.Background(), "QDe.115"); ksp.ErrorCode(err) != ksp.EUNAUTHORIZED {
		t.Errorf("anonymous read: %v, want unauthorized", err)
	}

	str := func(s string) *string { return &s }
	all := func(f ksp.EntityFilter) []*ksp.Entity {
		t.Helper()
		var out []*ksp.Entity
		for {
			page, next, err := db.FindEntities(member, f)
			must(t, err)
			out = append(out, page...)
			if next == "" {
				return out
			}
			f.Page.Cursor = next
		}
	}
	filters := []struct {
		name   string
		f      ksp.EntityFilter
		want   int
		refers string // a reference number that must be among the results
	}{
		{"all", ksp.EntityFilter{Page: ksp.Page{Limit: 300}}, 875, "TAi.005"},
		{"regime", ksp.EntityFilter{Regime: str("Taliban")}, 0, "TAi.005"},
		{"alias, any case", ksp.EntityFilter{Q: str("haji mudir")}, 0, "TAi.005"},
		{"original script", ksp.EntityFilter{Q: str("القاعده في العراق")}, 0, "QDe.115"},
		{"query and regime", ksp.EntityFilter{Q: str("al-qaida in iraq"), Regime: str("Al-Qaida")}, 0, "QDe.115"},
		{"particles and hyphens", ksp.EntityFilter{Q: str("lashkar-e-jhangvi")}, 0, "QDe.096"},
		{"transliteration and word order", ksp.EntityFilter{Q: str("ahrar jama'at ul")}, 0, "QDe.152"},
		{"diacritics", ksp.EntityFilter{Q: str("Ḥaqqānī network")}, 0, "TAe.012"},
		{"nothing like it", ksp.EntityFilter{Q: str("%_%")}, -1, ""},
		{"unknown regime", ksp.EntityFilter{Regime: str("Atlantis")}, -1, ""},
	}
	for _, tt := range filters {
		got := all(tt.f)
		switch {
		case tt.want == -1 && len(got) != 0:
			t.Errorf("%s: %d results, want none", tt.name, len(got))
		case tt.want > 0 && len(got) != tt.want:
			t.Errorf("%s: %d results, want %d", tt.name, len(got), tt.want)
		}
		found := tt.refers == ""
		for _, e := range got {
			for _, l := range e.Lists {
				if l.ReferenceNumber == tt.refers {
					found = true
				}
				if tt.f.Regime != nil && l.Regime != *tt.f.Regime {
					t.Errorf("%s: %s has regime %s", tt.name, l.ReferenceNumber, l.Regime)
				}
			}
		}
		if !found {
			t.Errorf("%s: %s not among %d results", tt.name, tt.refers, len(got))
		}
	}

	// Staff write; members do not.
	e := &ksp.Entity{Kind: ksp.EntityGroup, Name: "  Example Brigade ", Ideology: ksp.IdeologyFarRight,
		Aliases: []ksp.EntityAlias{{Name: "EB"}}, Lists: []ksp.EntityListing{{List: "NATIONAL-XX", ReferenceNumber: "XX-1", ListedOn: "2023-05-01"}}}
	if err := db.CreateEntity(As(fx.Platform, fx.PlatAdmin), e); ksp.ErrorCode(err) != ksp.EFORBIDDEN {
		t.Errorf("member create: %v, want forbidden", err)
	}
	must(t, db.CreateEntity(staff, e))
	if e.Name != "Example Brigade" || e.ID == "" {
		t.Errorf("created %+v", e)
	}
	got, err := db.FindEntityByID(member, "XX-1")
	must(t, err)
	if got.ID != e.ID || got.Ideology != ksp.IdeologyFarRight || len(got.Lists) != 1 {
		t.Errorf("read back %+v", got)
	}
	bad := []struct {
		name  string
		e     ksp.Entity
		field string
	}{
		{"no name", ksp.Entity{Kind: ksp.EntityGroup}, "name"},
		{"bad kind", ksp.Entity{Kind: "party", Name: "x"}, "kind"},
		{"bad ideology", ksp.Entity{Kind: ksp.EntityGroup, Name: "x", Ideology: "anarchist"}, "ideology"},
		{"empty alias", ksp.Entity{Kind: ksp.EntityGroup, Name: "x", Aliases: []ksp.EntityAlias{{Quality: "a.k.a."}}}, "aliases"},
		{"bad date", ksp.Entity{Kind: ksp.EntityGroup, Name: "x", Lists: []ksp.EntityListing{{List: "L", ListedOn: "01/02/2020"}}}, "lists"},
	}
	for _, b := range bad {
		err := db.CreateEntity(staff, &b.e)
		var ke *ksp.Error
		if ksp.ErrorCode(err) != ksp.EINVALID || !errors.As(err, &ke) || len(ke.Fields) == 0 || ke.Fields[0].Field != b.field {
			t.Errorf("%s: %v, want invalid naming %s", b.name, err, b.field)
		}
	}
	ideology := ksp.IdeologyIslamist
	notes := "programme notes"
	if _, err := db.UpdateEntity(member, aqi.ID, ksp.EntityUpdate{Notes: &notes}); ksp.ErrorCode(err) != ksp.EFORBIDDEN {
		t.Errorf("member update: %v, want forbidden", err)
	}
	up, err := db.UpdateEntity(staff, "QDe.115", ksp.EntityUpdate{Ideology: &ideology, Notes: &notes})
	must(t, err)
	if up.Ideology != ideology || up.Notes != notes || up.Name != aqi.Name || len(up.Lists) != 1 {
		t.Errorf("updated %+v", up)
	}
	// Importing the same list again keeps the programme's own fields.
	counts, err := db.ImportUNSC(staff, bytes.NewReader(y2024), false)
	must(t, err)
	if counts.Unchanged != 875 || counts.Added+counts.Updated+counts.Delisted != 0 {
		t.Errorf("re-import after edit: %+v", *counts)
	}
	after, err := db.FindEntityByID(member, "QDe.115")
	must(t, err)
	if after.Ideology != ideology || after.Notes != notes {
		t.Errorf("import overwrote the programme's fields: %+v", after)
	}

	// A UN listing removed by hand comes back with the next import.
	none := []ksp.EntityListing{}
	if _, err := db.UpdateEntity(staff, aqi.ID, ksp.EntityUpdate{Lists: &none}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindEntityByID(member, "QDe.115"); ksp.ErrorCode(err) != ksp.ENOTFOUND {
		t.Errorf("reference of a removed listing: %v, want not found", err)
	}
	counts, err = db.ImportUNSC(staff, bytes.NewReader(y2024), false)
	must(t, err)
	if want := (ksp.ImportCounts{Updated: 1, Unchanged: 874}); *counts != want {
		t.Errorf("re-import after removing a listing: %+v, want %+v", *counts, want)
	}
	back, err := db.FindEntityByID(member, "QDe.115")
	must(t, err)
	if back.ID != aqi.ID || len(back.Lists) != 1 || back.Lists[0] != want {
		t.Errorf("listing not restored: %+v", back)
	}
}
