package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

func sampleReport(suppress bool) *ksp.TransparencyReport {
	p, _ := ksp.ParseCalendarPeriod("2025")
	r := &ksp.TransparencyReport{Period: p,
		Submissions: &ksp.SubmissionFigures{Added: ksp.Fig(7, 4), Merged: ksp.Fig(1, 1), Retracted: ksp.Fig(0, 0),
			ByType: ksp.Figures{"pdq": ksp.Fig(5, 3), "md5": ksp.Fig(2, 1), "url": ksp.Fig(0, 0)}, ByLabel: ksp.Figures{"propaganda": ksp.Fig(7, 4)},
			ByTLP: ksp.Figures{"GREEN": ksp.Fig(7, 4)}},
		Feedback: &ksp.FeedbackFigures{ByVerdict: ksp.Figures{"seen": ksp.Fig(3, 3)}},
		Alerts: &ksp.AlertFigures{Sent: ksp.Fig(4, 3), ByKind: ksp.Figures{"referral": ksp.Fig(4, 3)},
			BySenderKind: ksp.Figures{"government": ksp.Fig(1, 1), "platform": ksp.Fig(3, 3), "academia": ksp.Fig(0, 0)},
			Responses:    ksp.Figures{"removed": ksp.Fig(2, 2)}, MedianResponseSeconds: ksp.Fig(5400, 3)},
		AlertsReceived: &ksp.AlertFigures{Sent: ksp.Fig(2, 1), Responses: ksp.Figures{"removed": ksp.Fig(2, 1)},
			ByKind: ksp.Figures{"tco_removal_order": ksp.Fig(1, 1)}, BySenderKind: ksp.Figures{"government": ksp.Fig(1, 1)}},
		Matching: &ksp.MatchingFigures{Requests: ksp.Fig(100, 3), Hits: ksp.Fig(4, 2)},
	}
	for _, m := range p.Months() {
		r.Monthly = append(r.Monthly, ksp.MonthFigures{Month: m, Submissions: int64(len(m)), Alerts: 1})
	}
	if suppress {
		r.Suppress()
	}
	return r
}

// TestChartsAreValidSVG parses every chart as XML and checks each has a
// title and a data table with a caption.
func TestChartsAreValidSVG(t *testing.T) {
	r := sampleReport(true)
	// A label that needs escaping must not break the document.
	r.Submissions.ByLabel[`<b>&"x"`] = ksp.Fig(1, 3)
	charts := Charts(r)
	if len(charts) < 6 {
		t.Fatalf("%d charts", len(charts))
	}
	for _, c := range charts {
		svg := string(c.SVG())
		dec := xml.NewDecoder(strings.NewReader(svg))
		var root, title string
		depth := 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: not valid XML: %v\n%s", c.ID, err, svg)
			}
			switch e := tok.(type) {
			case xml.StartElement:
				if depth == 0 {
					root = e.Name.Local
					if e.Name.Space != "http://www.w3.org/2000/svg" {
						t.Errorf("%s: namespace %q", c.ID, e.Name.Space)
					}
				}
				if depth == 1 && e.Name.Local == "title" {
					var s string
					dec.DecodeElement(&s, &e)
					title = s
					continue
				}
				depth++
			case xml.EndElement:
				depth--
			}
		}
		if root != "svg" || title != c.Title || depth != 0 {
			t.Errorf("%s: root %q title %q depth %d", c.ID, root, title, depth)
		}
		table := string(c.Table())
		if !strings.Contains(table, `<caption id="`+c.ID+`-caption">`) || !strings.Contains(table, `aria-labelledby="`+c.ID+`-caption"`) {
			t.Errorf("%s: table without its caption: %s", c.ID, table)
		}
		if err := xml.Unmarshal([]byte(table), new(struct{})); err != nil {
			t.Errorf("%s: table is not well-formed: %v", c.ID, err)
		}
	}
	// A suppressed cell is drawn as a note, never as a length.
	sender := FromFigures("x", "Senders", r.Alerts.BySenderKind, "government")
	if !sender.Bars[0].Hidden || !strings.Contains(string(sender.SVG()), "suppressed") {
		t.Errorf("suppressed bar: %+v", sender.Bars[0])
	}
}

func TestHTMLStandsAlone(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, sampleReport(true), "", "ab12"); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"<!doctype html>", "@media print", "KSP transparency report, 2025", "<svg", "ab12", "Submissions by hash type"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<link", "src=\"http", "href=\"http"} {
		if strings.Contains(s, bad) {
			t.Errorf("HTML is not stand-alone: %q", bad)
		}
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	if err := CSV(&b, sampleReport(true)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range rows {
		got[r[0]] = r[1:]
	}
	for path, want := range map[string][]string{
		"submissions.by_type.pdq":          {"", "suppressed"},
		"submissions.by_type.md5":          {"", "suppressed"},
		"alerts.by_sender_kind.government": {"", "suppressed"},
		"monthly.2025-03.submissions":      {"7", ""},
		"alerts.median_response_seconds":   {"5400", ""},
		"matching.hits":                    {"4", ""},
	} {
		if g := got[path]; len(g) != 2 || g[0] != want[0] || g[1] != want[1] {
			t.Errorf("%s: %v, want %v", path, g, want)
		}
	}
}

func TestDraft(t *testing.T) {
	r := sampleReport(false)
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	sor := func(in ksp.DecisionInput, ct string) *ksp.StatementOfReasons {
		return ksp.NewStatementOfReasons("c", "d", ct, now, in, now)
	}
	sts := []*ksp.StatementOfReasons{
		sor(ksp.DecisionInput{Decision: ksp.DecisionRemove, Ground: ksp.GroundIllegal, LegalGround: "Regulation (EU) 2021/784 | Art. 2(7)"}, "video"),
		sor(ksp.DecisionInput{Decision: ksp.DecisionRemove, Ground: ksp.GroundIllegal, LegalGround: "Regulation (EU) 2021/784 | Art. 2(7)"}, "photo"),
		sor(ksp.DecisionInput{Decision: ksp.DecisionRestrict, Ground: ksp.GroundIllegal, LegalGround: "StGB § 129a"}, "photo"),
		sor(ksp.DecisionInput{Decision: ksp.DecisionRemove, Ground: ksp.GroundIncompatible}, "photo"),
	}
	md := Draft(r, "Tiny *Startup* | Ltd", sts)
	for _, want := range []string{"# Transparency report of Tiny \\*Startup\\* \\| Ltd, 2025", "## 2. Orders from authorities", "| Alerts received | 2 |",
		"| Outcome: removed |", "matched content against the shared hash bank 100 times",
		"| Statements of reasons issued | 4 |", "| Ground: illegal content | 3 |", "| Ground: incompatible with our terms of service | 1 |",
		"| Measure: content removed | 3 |", "| Measure: access disabled (restricted) | 1 |", "| Detected by automated means (hash match) | 4 |",
		"| Decided fully or partly by automated means | 0 |", "| Content type: image | 3 |", "| Content type: video | 1 |",
		"| Regulation (EU) 2021/784 \\| Art. 2(7) | 2 |", "| StGB § 129a | 1 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q:\n%s", want, md)
		}
	}
	if none := Draft(r, "Tiny", nil); !strings.Contains(none, "We issued no statements of reasons") {
		t.Errorf("draft without statements:\n%s", none)
	}
}
