package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/kspplatform/ksp"
)

// seedResources inserts n resources of four orgs under every distribution
// in one transaction (rows as CreateResource writes them; one audit event
// for the lot), for benchmarks. Every 100th carries the tag "rare", every
// 10th the jurisdiction AU.
func seedResources(b *testing.B, db Store, f *Fixture, n int) {
	w, ok := db.(AuditWriter)
	if !ok {
		b.Skipf("%T has no WriteTx", db)
	}
	owners := []string{f.Platform.ID, f.Startup.ID, f.Gov.ID, ksp.StaffOrgID}
	dists := []ksp.Distribution{ksp.DistPublic, ksp.DistMembers, ksp.DistMembers, ksp.DistOwner, ksp.DistAudience}
	err := w.WriteTx(Staff(), func(tx *sql.Tx, audit func(string, string, string, map[string]any) error) error {
		ins, err := tx.Prepare(db.Rebind(`INSERT INTO resources (id, kind, title, summary, body, tags, jurisdictions, tag_lines, jur_lines, language, owner_org_id, distribution, tlp, revision, author_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, ?, ?, 1, '', ?, ?)`))
		if err != nil {
			return err
		}
		defer ins.Close()
		aud, err := tx.Prepare(db.Rebind(`INSERT INTO audiences (item_id, org_id) VALUES (?, ?)`))
		if err != nil {
			return err
		}
		defer aud.Close()
		now := ksp.Now().UnixMicro()
		for i := range n {
			id := ksp.NewID()
			tags, tagLines := `["guide"]`, "\nguide\n"
			if i%100 == 0 {
				tags, tagLines = `["guide","rare"]`, "\nguide\nrare\n"
			}
			jurs, jurLines := `["GB"]`, "\nGB\n"
			if i%10 == 0 {
				jurs, jurLines = `["AU"]`, "\nAU\n"
			}
			d := dists[i%len(dists)]
			tlp := ksp.TLPGreen
			if d == ksp.DistPublic {
				tlp = ksp.TLPClear
			}
			kind := ksp.ResourceKinds[i%len(ksp.ResourceKinds)]
			t := now - int64(n-i)*1000
			if _, err := ins.Exec(id, string(kind), fmt.Sprintf("Resource %d", i), "A summary.", "# Body\n\nSome text.", tags, jurs, tagLines, jurLines,
				owners[i%len(owners)], string(d), string(tlp), t, t); err != nil {
				return err
			}
			if d == ksp.DistAudience {
				if _, err := aud.Exec(id, f.Startup.ID); err != nil {
					return err
				}
			}
		}
		return audit("bench.resources", "resources", ksp.StaffOrgID, map[string]any{"n": n})
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchFindResources measures the library's list over 10,000 resources, a
// page of 50 as each kind of viewer sees it, unfiltered and filtered.
func BenchFindResources(b *testing.B, db Store) {
	f := NewFixture(b, db)
	seedResources(b, db, f, 10_000)
	// As autovacuum (PostgreSQL) or a later start would: plans made
	// without statistics are not what a running library gets.
	if _, err := db.SQL().Exec("ANALYZE"); err != nil {
		b.Fatal(err)
	}
	member := As(f.Gov, f.GovAdmin)
	tag, jur, kind := "rare", "AU", ksp.ResourceLaw
	cases := []struct {
		name string
		ctx  context.Context
		f    ksp.ResourceFilter
	}{
		{"member", member, ksp.ResourceFilter{}},
		{"anonymous", context.Background(), ksp.ResourceFilter{}},
		{"member-tag-1pct", member, ksp.ResourceFilter{Tag: &tag}},
		{"member-jurisdiction-10pct", member, ksp.ResourceFilter{Jurisdiction: &jur}},
		{"member-kind", member, ksp.ResourceFilter{Kind: &kind}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.f.Page.Limit = 50
			for b.Loop() {
				list, _, err := db.FindResources(c.ctx, c.f)
				if err != nil || len(list) == 0 {
					b.Fatalf("%d resources, %v", len(list), err)
				}
			}
		})
	}
}
