package web

import (
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/storetest"
)

// TestSignalMatchesPages checks the "what your signals did" figures in the
// browser: the submitter sees a month's count with three other orgs and
// "fewer than 3" without a count below that; another member that may see
// the signal sees no figures; the dashboard panel adds only what is shown.
func TestSignalMatchesPages(t *testing.T) {
	h := newHarness(t, Config{})
	owner := h.org("Owner Video", ksp.KindPlatform, ksp.SizeSmall)
	others := []*ksp.Org{h.org("Second", ksp.KindPlatform, ksp.SizeLarge), h.org("Third", ksp.KindAcademia, ""), h.org("Fourth", ksp.KindGovernment, "")}
	analyst := h.user(owner, "ana@owner.example", ksp.RoleAnalyst, false)
	otherAnalyst := h.user(others[0], "bo@second.example", ksp.RoleAnalyst, false)
	as := storetest.As(owner, analyst.user)
	busy, err := h.db.Submit(as, storetest.Submission(1, ksp.DistMembers, ksp.TLPGreen))
	if err != nil {
		t.Fatal(err)
	}
	lonely, err := h.db.Submit(as, storetest.Submission(2, ksp.DistMembers, ksp.TLPGreen))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Format("2006-01-02")
	var counts []ksp.SignalMatchCount
	for i, o := range others {
		counts = append(counts, ksp.SignalMatchCount{SignalID: busy.Signal.ID, Day: day, OrgID: o.ID, Matches: 10 + i})
	}
	counts = append(counts, ksp.SignalMatchCount{SignalID: lonely.Signal.ID, Day: day, OrgID: others[0].ID, Matches: 41})
	if err := h.db.RecordSignalMatches(h.sys, counts); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	c.signIn(analyst, 0)
	c.want(c.get("/signals/"+busy.Signal.ID), 200, "Matches of this signal", "<td>33</td><td>3</td>")
	c.want(c.get("/signals/"+lonely.Signal.ID), 200, "Matches of this signal", "fewer than 3")
	if strings.Contains(c.body, "<td>41</td>") || strings.Contains(c.body, "<td>1</td>") {
		t.Fatal("a count by one organisation is shown")
	}
	c.want(c.get("/dashboard"), 200, "Your signals this month", "<strong>33</strong> matches", "by 3 other organisations", "1 more signal was matched by fewer than 3")
	if strings.Contains(c.body, "<strong>74</strong>") || strings.Contains(c.body, ": 41 matches") {
		t.Fatal("the panel adds a withheld count")
	}

	o := h.client()
	o.signIn(otherAnalyst, 0)
	o.want(o.get("/signals/"+busy.Signal.ID), 200, "Feedback and dispute history")
	if strings.Contains(o.body, "Matches of this signal") {
		t.Fatal("a member that did not share the signal sees its matches")
	}
	o.want(o.get("/dashboard"), 200)
	if strings.Contains(o.body, "Your signals this month") {
		t.Fatal("the panel shows for an org with no matched signal")
	}
}
