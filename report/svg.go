// Package report renders transparency reports: inline SVG charts (each
// with a title and a data table beside it), a stand-alone HTML document
// that prints well, CSV, and the Markdown draft an org's admin starts its
// own report from. It reads the root package's report type only.
package report

import (
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// Bar is one bar of a chart; Hidden bars (suppressed cells) are drawn as
// a note, not a length.
type Bar struct {
	Label  string
	Value  int64
	Hidden bool
}

// Chart is a titled set of bars, drawn as SVG and listed as a table.
type Chart struct {
	ID    string
	Title string
	// Unit names what the values count, for the table's header.
	Unit string
	Bars []Bar
	// Columns draws vertical bars (a monthly series); otherwise the bars
	// are horizontal (a breakdown).
	Columns bool
}

const (
	chartWidth = 640
	barHeight  = 22
	labelWidth = 170
)

func esc(s string) string { return template.HTMLEscapeString(s) }

func (c Chart) max() int64 {
	var m int64
	for _, b := range c.Bars {
		if !b.Hidden && b.Value > m {
			m = b.Value
		}
	}
	return m
}

// SVG draws the chart as a stand-alone, valid SVG element with its title.
func (c Chart) SVG() template.HTML {
	var b strings.Builder
	m := c.max()
	titleID := c.ID + "-title"
	if c.Columns {
		h := 220
		n := max(len(c.Bars), 1)
		slot := float64(chartWidth-40) / float64(n)
		fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="tr-chart" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s">`, chartWidth, h+40, esc(titleID))
		fmt.Fprintf(&b, `<title id="%s">%s</title>`, esc(titleID), esc(c.Title))
		fmt.Fprintf(&b, `<line x1="30" y1="%d" x2="%d" y2="%d" stroke="#555" stroke-width="1"/>`, h, chartWidth-10, h)
		for i, bar := range c.Bars {
			x := 30 + float64(i)*slot
			bh := 0.0
			if m > 0 && !bar.Hidden {
				bh = float64(bar.Value) / float64(m) * float64(h-20)
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1d5fa6"><title>%s: %s</title></rect>`,
				x+slot*0.15, float64(h)-bh, slot*0.7, bh, esc(bar.Label), esc(valueText(bar)))
			if n <= 24 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle" fill="#222">%s</text>`, x+slot/2, h+14, esc(shortMonth(bar.Label)))
			}
		}
		fmt.Fprintf(&b, `<text x="30" y="12" font-size="11" fill="#222">max %s</text>`, esc(strconv.FormatInt(m, 10)))
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	h := max(len(c.Bars), 1)*barHeight + 10
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="tr-chart" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s">`, chartWidth, h, esc(titleID))
	fmt.Fprintf(&b, `<title id="%s">%s</title>`, esc(titleID), esc(c.Title))
	span := float64(chartWidth - labelWidth - 70)
	for i, bar := range c.Bars {
		y := 5 + i*barHeight
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#222">%s</text>`, labelWidth-6, y+15, esc(bar.Label))
		w := 0.0
		if m > 0 && !bar.Hidden {
			w = float64(bar.Value) / float64(m) * span
		}
		fill := "#1d5fa6"
		if bar.Hidden {
			fill = "none"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, labelWidth, y+3, w, barHeight-6, fill)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12" fill="#222">%s</text>`, float64(labelWidth)+w+6, y+15, esc(valueText(bar)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func valueText(b Bar) string {
	if b.Hidden {
		return "suppressed"
	}
	return strconv.FormatInt(b.Value, 10)
}

func shortMonth(m string) string {
	if len(m) == 7 {
		return m[2:4] + "/" + m[5:]
	}
	return m
}

// Table renders the chart's data as an accessible table, in a
// keyboard-scrollable named region.
func (c Chart) Table() template.HTML {
	var b strings.Builder
	capID := c.ID + "-caption"
	fmt.Fprintf(&b, `<div class="table-wrap" role="region" tabindex="0" aria-labelledby="%s"><table><caption id="%s">%s (data)</caption>`, esc(capID), esc(capID), esc(c.Title))
	unit := c.Unit
	if unit == "" {
		unit = "Count"
	}
	fmt.Fprintf(&b, `<thead><tr><th scope="col">%s</th><th scope="col" class="num">%s</th></tr></thead><tbody>`, map[bool]string{true: "Month", false: "Value"}[c.Columns], esc(unit))
	for _, bar := range c.Bars {
		fmt.Fprintf(&b, `<tr><th scope="row">%s</th><td class="num">%s</td></tr>`, esc(bar.Label), esc(valueText(bar)))
	}
	b.WriteString(`</tbody></table></div>`)
	return template.HTML(b.String())
}

// FromFigures makes a breakdown chart of m, keys in the order given first,
// then any others sorted; a nil figure (read back from a published report)
// is hidden.
func FromFigures(id, title string, m ksp.Figures, order ...string) Chart {
	c := Chart{ID: id, Title: title}
	seen := map[string]bool{}
	add := func(k string) {
		f, ok := m[k]
		if !ok || seen[k] {
			return
		}
		seen[k] = true
		bar := Bar{Label: k}
		if f == nil || f.Hidden {
			bar.Hidden = true
		} else {
			bar.Value = f.N
		}
		c.Bars = append(c.Bars, bar)
	}
	for _, k := range order {
		add(k)
	}
	var rest []string
	for k := range m {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	return c
}

// Charts returns the report's charts: the monthly series, then the
// breakdowns.
func Charts(r *ksp.TransparencyReport) []Chart {
	var out []Chart
	series := []struct {
		id, title string
		v         func(ksp.MonthFigures) int64
	}{
		{"tr-monthly-submissions", "Submissions to the hash bank per month", func(m ksp.MonthFigures) int64 { return m.Submissions }},
		{"tr-monthly-alerts", "Alerts per month", func(m ksp.MonthFigures) int64 { return m.Alerts }},
		{"tr-monthly-matching", "Match requests per month", func(m ksp.MonthFigures) int64 { return m.MatchRequests }},
	}
	if len(r.Monthly) > 1 {
		for _, s := range series {
			c := Chart{ID: s.id, Title: s.title, Columns: true}
			for _, m := range r.Monthly {
				c.Bars = append(c.Bars, Bar{Label: m.Month, Value: s.v(m)})
			}
			out = append(out, c)
		}
	}
	if s := r.Submissions; s != nil {
		out = append(out, FromFigures("tr-sub-type", "Submissions by hash type", s.ByType, "pdq", "md5", "sha256", "url"),
			FromFigures("tr-sub-label", "Submissions by behaviour label", s.ByLabel, ksp.Labels...),
			FromFigures("tr-sub-tlp", "Submissions by TLP", s.ByTLP, "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"))
	}
	if f := r.Feedback; f != nil {
		out = append(out, FromFigures("tr-verdicts", "Member feedback by verdict", f.ByVerdict, ksp.Verdicts...))
	}
	if a := r.Alerts; a != nil {
		out = append(out, FromFigures("tr-alert-kind", "Alerts by kind", a.ByKind, "referral", "tco_removal_order", "dsa_order"),
			FromFigures("tr-alert-sender", "Alerts by sending organisation kind", a.BySenderKind, "government", "platform", "academia", "civil_society"),
			FromFigures("tr-alert-responses", "Responses to alerts by outcome", a.Responses, ksp.AlertResponses...))
	}
	if a := r.AlertsReceived; a != nil {
		out = append(out, FromFigures("tr-received-responses", "Responses to alerts received, by outcome", a.Responses, ksp.AlertResponses...))
	}
	return out
}
