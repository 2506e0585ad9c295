package web

import (
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// TestSignalPageHidesHiddenVerdicts reproduces the reported leak on the
// signal page: a verdict another org gave on its own private submission
// must not show in the status, the figures or the history of a member who
// submits the same value later.
func TestSignalPageHidesHiddenVerdicts(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	in := ksp.SubmissionInput{Type: ksp.TypeMD5, Value: strings.Repeat("5e", 16), ContentType: "video", Labels: []string{"propaganda"}, Basis: "branded_publication"}
	private := in
	private.Distribution, private.TLP = ksp.DistOwner, ksp.TLPRed
	sig := h.submit(m.b, private)
	if _, err := h.db.GiveFeedback(asUser(m.b), sig.ID, ksp.FeedbackInput{Verdict: ksp.VerdictDisputed, Comment: "secret note"}); err != nil {
		t.Fatal(err)
	}
	h.submit(m.a, in)
	c := h.client()
	c.signIn(m.a, 0)
	c.want(c.get("/signals/"+sig.ID), 200, "Actionable")
	// Above the feedback form (whose choices name every verdict).
	shown := c.body
	if i := strings.Index(shown, `name="verdict"`); i >= 0 {
		shown = shown[:i]
	}
	for _, leak := range []string{"secret note", "Vidstream", "Disputed", "disputed"} {
		if strings.Contains(shown, leak) {
			t.Errorf("the signal page shows %q from a verdict on a submission the viewer cannot see", leak)
		}
	}
	// The disputing org still sees its own dispute.
	b := h.client()
	b.signIn(m.b, 0)
	b.want(b.get("/signals/"+sig.ID), 200, "secret note", "Disputed")
}
