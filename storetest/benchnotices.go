package storetest

import (
	"fmt"
	"testing"

	"github.com/kspplatform/ksp"
)

// BenchNotices measures one TakeNotices call that fans an incident's
// activation out to the users of orgs member organisations (five users
// each), choosing recipients with the sharing rule org by org.
func BenchNotices(b *testing.B, db Store, orgs int) {
	ctx := Staff()
	for i := 0; i < orgs; i++ {
		o := &ksp.Org{Name: fmt.Sprintf("Bench Org %d", i), Kind: ksp.KindPlatform, Size: ksp.SizeSmall}
		if err := db.CreateOrg(ctx, o); err != nil {
			b.Fatal(err)
		}
		// Users by hand: hashing 5,000 passwords would dwarf the
		// measurement's setup for nothing it measures.
		for j := 0; j < 5; j++ {
			if _, err := db.SQL().Exec(db.Rebind(`INSERT INTO users (id, org_id, email, name, role, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
				ksp.NewID(), o.ID, fmt.Sprintf("u%d@o%d.example", j, i), "U", string(ksp.RoleAnalyst), ksp.UserActive, ksp.Now().UnixMicro()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := db.TakeNotices(ctx, ksp.Now()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	recipients := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := db.AppendEvent(ctx, ksp.EventIncidentActivated, ksp.NewID(), ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}, map[string]any{"title": "Bench"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		ns, err := db.TakeNotices(ctx, ksp.Now())
		if err != nil {
			b.Fatal(err)
		}
		if len(ns) != 1 {
			b.Fatalf("%d notices, want 1", len(ns))
		}
		recipients = len(ns[0].To)
	}
	b.ReportMetric(float64(recipients), "recipients")
}
