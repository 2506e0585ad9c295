package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// testAlertRefusals: more bad input and acts without authority, each
// refused with a clear error and nothing written (no alert, no audit
// event, no change to the alert answered).
func testAlertRefusals(t *testing.T, open Opener) {
	db := open(t)
	w := newAlertWorld(t, db)
	target, _, err := db.CreateAlert(w.gov(), referral("https://big-platform.example/refusals", ksp.TierCrisis))
	must(t, err)
	state := func() string {
		var head string
		must(t, db.SQL().QueryRow(`SELECT CAST(seq AS TEXT) || ':' || hash FROM audit_head`).Scan(&head))
		var n int
		must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM alerts`).Scan(&n))
		var status, action string
		must(t, db.SQL().QueryRow(db.Rebind(`SELECT status, response_action FROM alerts WHERE id = ?`), target.ID).Scan(&status, &action))
		return fmt.Sprintf("%s/%d/%s/%s", head, n, status, action)
	}
	before := state()
	order := removalOrder("https://tiny-startup.example/o", time.Now())
	dsa := order
	dsa.Kind = ksp.AlertDSAOrder
	creates := []struct {
		name  string
		ctx   context.Context
		in    ksp.AlertInput
		field string
	}{
		{"platform issues a removal order", w.platform(), order, "kind"},
		{"platform issues a DSA order", w.platform(), dsa, "kind"},
		{"mailto", w.gov(), referral("mailto:someone@big-platform.example", ksp.TierCrisis), "url"},
		{"data URL", w.gov(), referral("data:text/html,<b>x</b>", ksp.TierCrisis), "url"},
		{"empty host with port", w.gov(), referral("http://:80/x", ksp.TierCrisis), "url"},
		{"scheme only", w.gov(), referral("https://", ksp.TierCrisis), "url"},
		{"unknown kind in capitals", w.gov(), ksp.AlertInput{URL: "https://big-platform.example/", Kind: "TAKEDOWN", Tier: ksp.TierCrisis}, "kind"},
		{"tier of another vocabulary", w.gov(), referral("https://big-platform.example/", "high"), "tier"},
	}
	for _, c := range creates {
		_, _, err := db.CreateAlert(c.ctx, c.in)
		if !hasField(err, c.field) {
			t.Errorf("%s: got %v, want a field error on %s", c.name, err, c.field)
		}
	}
	responses := []struct {
		name string
		ctx  context.Context
		in   ksp.ResponseInput
		code string
	}{
		{"a bystander answers someone else's alert", w.startup(), ksp.ResponseInput{Action: ksp.ResponseRemoved}, ksp.ENOTFOUND},
		{"the sender answers its own alert", w.gov(), ksp.ResponseInput{Action: ksp.ResponseRemoved}, ksp.EFORBIDDEN},
		{"the receiver's viewer answers", As(w.Platform, w.PlatView), ksp.ResponseInput{Action: ksp.ResponseRemoved}, ksp.EFORBIDDEN},
		{"unknown action", w.platform(), ksp.ResponseInput{Action: "deleted"}, ksp.EINVALID},
		{"no action", w.platform(), ksp.ResponseInput{}, ksp.EINVALID},
	}
	for _, c := range responses {
		_, err := db.RespondToAlert(c.ctx, target.ID, c.in)
		if ksp.ErrorCode(err) != c.code {
			t.Errorf("%s: got %v, want code %s", c.name, err, c.code)
		}
	}
	_, err = db.RespondToAlert(w.platform(), ksp.NewID(), ksp.ResponseInput{Action: ksp.ResponseRemoved})
	wantCode(t, err, ksp.ENOTFOUND)
	if after := state(); after != before {
		t.Fatalf("refused acts wrote something: %s → %s", before, after)
	}
	// Answered once, a second answer changes nothing.
	_, err = db.RespondToAlert(w.platform(), target.ID, ksp.ResponseInput{Action: ksp.ResponseNoViolation})
	must(t, err)
	answered := state()
	_, err = db.RespondToAlert(w.platform(), target.ID, ksp.ResponseInput{Action: ksp.ResponseRemoved})
	wantCode(t, err, ksp.ECONFLICT)
	if after := state(); after != answered {
		t.Fatalf("a second answer wrote something: %s → %s", answered, after)
	}
}
