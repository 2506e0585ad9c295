package web

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/kspplatform/ksp/filehash"
)

// TestCheckImageDecodeBudget: "check an image" decodes within the shared
// decode budget. While other work holds it the page says to come back
// (503, Retry-After); an image that needs more than all of it is too large.
func TestCheckImageDecodeBudget(t *testing.T) {
	img := testPNG(t, 1, false)
	cost, err := filehash.DecodeCost(img, filehash.Options{})
	if err != nil {
		t.Fatal(err)
	}
	budget := filehash.NewMemoryBudget(cost, 10*time.Millisecond)
	h, _ := bankHarness(t, Config{DecodeBudget: budget})
	m := seedMembers(h)
	b := h.client()
	b.signIn(m.b, 0)
	b.get("/check")
	b.want(b.upload("/check", "suspect.png", img, nil), 200, "No match for suspect.png")

	// Another decode holds part of the budget for longer than the wait.
	release, err := budget.Reserve(1)
	if err != nil {
		t.Fatal(err)
	}
	res := b.upload("/check", "suspect.png", img, nil)
	b.want(res, 503, "KSP is busy opening other images", `href="#f-image"`)
	if got := res.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	release()
	b.want(b.upload("/check", "suspect.png", img, nil), 200, "No match for suspect.png")

	// Twice the pixels: more than the whole budget, even when it is free.
	var big bytes.Buffer
	if err := png.Encode(&big, image.NewRGBA(image.Rect(0, 0, 512, 512))); err != nil {
		t.Fatal(err)
	}
	b.want(b.upload("/check", "big.png", big.Bytes(), nil), 413, "The image is 512 × 512 pixels", "more memory than KSP allows")
	if budget.InUse() != 0 || budget.Peak() > budget.Limit() {
		t.Fatalf("in use %d, peak %d, budget %d", budget.InUse(), budget.Peak(), budget.Limit())
	}
}
