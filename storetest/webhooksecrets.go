package storetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/secret"
)

// testWebhookSecretsSealed: with a secrets key, webhook signing secrets
// are stored sealed (a copy of the database yields none), those stored
// before the key are sealed once, deliveries are still signed with the
// plain secrets, a sealed secret moved to another webhook does not open,
// and a server without the key signs nothing.
func testWebhookSecretsSealed(t *testing.T, open Opener) {
	db := open(t)
	f := NewFixture(t, db)
	admin := As(f.Platform, f.PlatAdmin)
	all := func(u string) ksp.WebhookInput {
		return ksp.WebhookInput{URL: u, Events: []string{ksp.EventAlertCreated}}
	}
	stored := func(id string) (cur, prev string) {
		t.Helper()
		must(t, db.SQL().QueryRow(db.Rebind(`SELECT secret, previous_secret FROM webhooks WHERE id = ?`), id).Scan(&cur, &prev))
		return cur, prev
	}
	claim := func() map[string][]string {
		t.Helper()
		jobs, err := db.ClaimWebhookDeliveries(Staff(), time.Now().Add(time.Second), 50, time.Minute)
		must(t, err)
		out := map[string][]string{}
		for _, j := range jobs {
			out[j.WebhookID] = j.Secrets
		}
		return out
	}

	old, err := db.CreateWebhook(admin, all("https://hooks.example/old"))
	must(t, err)
	if cur, _ := stored(old.ID); cur != old.Secret {
		t.Fatalf("without a key the secret is stored as issued; have %q", cur)
	}
	box, err := secret.NewBox(bytes.Repeat([]byte{42}, secret.BoxKeySize))
	must(t, err)
	db.SetSecretBox(box)
	n, err := db.SealWebhookSecrets(Staff())
	must(t, err)
	if n != 1 {
		t.Fatalf("sealed %d webhooks, want 1", n)
	}
	if n, err = db.SealWebhookSecrets(Staff()); err != nil || n != 0 {
		t.Fatalf("sealing again: %d %v", n, err)
	}
	nw, err := db.CreateWebhook(admin, all("https://hooks.example/new"))
	must(t, err)
	rot, err := db.RotateWebhookSecret(admin, nw.ID)
	must(t, err)
	for _, id := range []string{old.ID, nw.ID} {
		cur, prev := stored(id)
		for _, v := range []string{cur, prev} {
			if v == "" && id == old.ID {
				continue
			}
			if !secret.Sealed(v) {
				t.Fatalf("webhook %s: %q stored unsealed", id, v)
			}
			for _, s := range []string{old.Secret, nw.Secret, rot.Secret} {
				if strings.Contains(v, strings.TrimPrefix(s, ksp.WebhookSecretPrefix)[:12]) {
					t.Fatalf("webhook %s: the stored form shows a secret", id)
				}
			}
		}
	}
	if c, err := db.SealedWebhookSecrets(Staff()); err != nil || c != 2 {
		t.Fatalf("sealed count %d %v", c, err)
	}

	// Deliveries are signed with the plain secrets, the rotated-out one
	// beside the new one during the overlap.
	for _, id := range []string{old.ID, nw.ID} {
		_, err := db.SendTestWebhook(admin, id)
		must(t, err)
	}
	got := claim()
	if !slices.Equal(got[old.ID], []string{old.Secret}) || !slices.Equal(got[nw.ID], []string{rot.Secret, nw.Secret}) {
		t.Fatalf("claimed secrets %v", got)
	}

	// A sealed secret copied onto another webhook's row does not open
	// there: nothing is sent, and the delivery log says why.
	cur, _ := stored(nw.ID)
	_, err = db.SQL().Exec(db.Rebind(`UPDATE webhooks SET secret = ? WHERE id = ?`), cur, old.ID)
	must(t, err)
	_, err = db.SendTestWebhook(admin, old.ID)
	must(t, err)
	if got := claim(); got[old.ID] != nil {
		t.Fatalf("a moved sealed secret signed a delivery: %v", got)
	}
	log, _, err := db.FindWebhookDeliveries(admin, old.ID, ksp.Page{})
	must(t, err)
	if len(log) == 0 || !strings.Contains(log[0].LastError, "cannot read this webhook's signing secret") {
		t.Fatalf("delivery log %+v", log)
	}

	// A lost key, replaced by a new one: the old secrets do not open
	// (deliveries wait, logged); once the org rotates, the new secret
	// signs alone, the old one being unreadable.
	box2, err := secret.NewBox(bytes.Repeat([]byte{43}, secret.BoxKeySize))
	must(t, err)
	db.SetSecretBox(box2)
	_, err = db.SendTestWebhook(admin, nw.ID)
	must(t, err)
	if got := claim(); len(got) != 0 {
		t.Fatalf("signed with secrets sealed under another key: %v", got)
	}
	rot2, err := db.RotateWebhookSecret(admin, nw.ID)
	must(t, err)
	_, err = db.SendTestWebhook(admin, nw.ID)
	must(t, err)
	if got := claim(); !slices.Equal(got[nw.ID], []string{rot2.Secret}) {
		t.Fatalf("after rotating under the new key: %v", got)
	}

	// Without the key, nothing is signed.
	db.SetSecretBox(nil)
	_, err = db.SendTestWebhook(admin, nw.ID)
	must(t, err)
	if got := claim(); len(got) != 0 {
		t.Fatalf("signed without the key: %v", got)
	}
}
