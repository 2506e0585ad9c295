package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// UpgradeStore is a store whose migrations a test applies step by step.
type UpgradeStore interface {
	Store
	// MigrateTo applies the migrations up to the one named last.
	MigrateTo(ctx context.Context, last string) error
}

// RunUpgrade builds a database as the release before the per-viewer figures
// left it (migrations up to 006), with signals under UUIDv7 ids, verdicts,
// a relabelling, a negative-bank entry, tombstones and events, then applies
// the rest and checks what migrations 007 and 008 promise: random signal
// ids everywhere the old ones were (the old ones kept in signal_id_map),
// verdicts about what their giver could see, relabelling on the
// submissions, members' negative entries their own, and followers told to
// resync.
func RunUpgrade(t *testing.T, db UpgradeStore) {
	ctx := context.Background()
	must(t, db.MigrateTo(ctx, "006_label_bits"))
	f := NewFixture(t, db)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, db.Rebind(q), args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := ksp.Now().UnixMicro()
	old1, old2 := ksp.NewID(), ksp.NewID()
	v1, v2 := strings.Repeat("1a", 16), strings.Repeat("2b", 16)
	exec(`INSERT INTO signals (id, type, value, created_at, status) VALUES (?, 'md5', ?, ?, 'disputed'), (?, 'md5', ?, ?, 'active')`, old1, v1, now, old2, v2, now)
	exec(`UPDATE signals SET resolution = 'relabelled', resolution_reason = 'checked', resolved_at = ?, resolved_labels = '["manifesto"]' WHERE id = ?`, now+1, old2)
	sub := func(signal, org, dist, tlp string, seq int) {
		exec(`INSERT INTO submissions (id, signal_id, org_id, owner_org_id, distribution, tlp, content_type, labels, label_bits, basis, severity, flags, policy_version, digest, created_at, updated_at, change_seq)
			VALUES (?, ?, ?, ?, ?, ?, 'video', '["propaganda"]', 32, 'branded_publication', 'medium', '[]', '2026-11', 'd', ?, ?, ?)`, ksp.NewID(), signal, org, org, dist, tlp, now, now, seq)
	}
	sub(old1, f.Platform.ID, "members", "GREEN", 1)
	sub(old1, f.Startup.ID, "owner", "RED", 2)
	sub(old2, f.Platform.ID, "members", "GREEN", 3)
	// The start-up disputed value 1 (it sees both submissions); the
	// platform confirmed it (it sees only its own).
	exec(`INSERT INTO feedback (signal_id, org_id, verdict, comment, created_at, updated_at) VALUES (?, ?, 'disputed', 'private doubt', ?, ?), (?, ?, 'true_positive', '', ?, ?)`,
		old1, f.Startup.ID, now, now, old1, f.Platform.ID, now, now)
	exec(`INSERT INTO feedback_log (id, signal_id, org_id, kind, value, comment, created_at) VALUES (?, ?, ?, 'verdict', 'disputed', 'private doubt', ?)`, ksp.NewID(), old1, f.Startup.ID, now)
	exec(`INSERT INTO negative_bank (id, type, value, org_id, reason, created_at) VALUES (?, 'md5', ?, ?, 'our logo', ?)`, ksp.NewID(), v2, f.Platform.ID, now)
	exec(`INSERT INTO signal_tombstones (seq, id, signal_id, owner_org_id, distribution, tlp, reason, created_at) VALUES (4, ?, ?, ?, 'members', 'GREEN', 'narrowed', ?)`, ksp.NewID(), old1, f.Platform.ID, now)
	exec(`INSERT INTO events (seq, id, type, time, object_id, owner_org_id, distribution, tlp, data) VALUES (1, ?, 'signal.created', ?, ?, ?, 'members', 'GREEN', ?)`,
		ksp.NewID(), now, old1, f.Platform.ID, `{"id":"`+old1+`"}`)
	exec(`UPDATE counters SET value = 4 WHERE name = 'changes'`)
	exec(`UPDATE counters SET value = 1 WHERE name = 'events'`)

	must(t, db.Migrate(ctx))

	newID := func(old string) string {
		t.Helper()
		var id string
		if err := db.SQL().QueryRowContext(ctx, db.Rebind(`SELECT new_id FROM signal_id_map WHERE old_id = ?`), old).Scan(&id); err != nil {
			t.Fatalf("signal_id_map for %s: %v", old, err)
		}
		u, ok := ksp.ParseUUID(id)
		if !ok || u[6]>>4 != 4 || u[8]>>6 != 2 || id == old {
			t.Fatalf("reissued id %q is not a random UUID", id)
		}
		return id
	}
	id1, id2 := newID(old1), newID(old2)
	for _, table := range []string{"signals", "submissions", "feedback", "feedback_log", "signal_tombstones", "events"} {
		col := map[string]string{"signals": "id", "events": "object_id"}[table]
		if col == "" {
			col = "signal_id"
		}
		if n := countRows(t, db, table, col, old1); n != 0 {
			t.Errorf("%s still names the old id in %d rows", table, n)
		}
	}
	var data string
	must(t, db.SQL().QueryRowContext(ctx, `SELECT data FROM events`).Scan(&data))
	if !strings.Contains(data, id1) || strings.Contains(data, old1) {
		t.Errorf("event data %s not rewritten to %s", data, id1)
	}
	// Verdicts are about what their giver could see: the start-up's
	// dispute was about its own private submission too, so the government
	// (which sees the platform's) counts it; the platform's confirmation
	// counts for all who see the platform's submission.
	gov := As(f.Gov, f.GovAdmin)
	s, err := db.FindSignalByID(gov, id1)
	must(t, err)
	if s.Feedback[ksp.VerdictDisputed] != 1 || s.Feedback[ksp.VerdictTruePositive] != 1 || s.Status != ksp.StatusDisputed {
		t.Errorf("government sees %v %s after the upgrade", s.Feedback, s.Status)
	}
	if h, err := db.SignalHistory(gov, id1); err != nil || len(h) != 1 {
		t.Errorf("history after the upgrade: %v %v", h, err)
	}
	// Relabelling is on the submissions; the negative entry is the
	// platform's own.
	s, err = db.FindSignalByID(gov, id2)
	must(t, err)
	if !slices.Equal(s.Labels, []string{"manifesto"}) || !s.Actionable || s.Resolution != "relabelled" {
		t.Errorf("relabelled signal after the upgrade: labels %v actionable %v resolution %q", s.Labels, s.Actionable, s.Resolution)
	}
	s, err = db.FindSignalByID(As(f.Platform, f.PlatAdmin), id2)
	must(t, err)
	if s.Actionable || s.NotActionable != "negative_bank" {
		t.Errorf("the platform's own negative entry no longer applies to it: %v %q", s.Actionable, s.NotActionable)
	}
	list, _, err := db.FindSignals(gov, ksp.SignalFilter{Label: ptr("manifesto")})
	must(t, err)
	if len(list) != 1 || list[0].ID != id2 {
		t.Errorf("label filter after the upgrade: %d", len(list))
	}
	// A follower's old cursor must resync; from the new start it follows.
	_, _, err = db.Changes(gov, 2, 10)
	wantCode(t, err, ksp.ERESYNCREQUIRED)
	_, _, err = db.Changes(gov, 4, 10)
	must(t, err)
	verifyChain(t, db)
}
