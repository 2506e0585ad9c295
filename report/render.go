package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// Row is one headline figure: a label and its value as shown.
type Row struct {
	Label, Value string
}

func fig(f *ksp.Figure) string {
	switch {
	case f == nil:
		return "—"
	case f.Hidden:
		return "suppressed"
	}
	return strconv.FormatInt(f.N, 10)
}

func seconds(f *ksp.Figure) string {
	if f == nil || f.Hidden {
		return fig(f)
	}
	d := f.N
	switch {
	case d < 120:
		return fmt.Sprintf("%d s", d)
	case d < 7200:
		return fmt.Sprintf("%d min", d/60)
	case d < 2*86400:
		return fmt.Sprintf("%.1f h", float64(d)/3600)
	}
	return fmt.Sprintf("%.1f days", float64(d)/86400)
}

func share(s ksp.Share) string {
	if s.Hidden {
		return "—"
	}
	return strconv.FormatFloat(s.V*100, 'f', 1, 64) + " %"
}

// Headline lists the report's main figures, in reading order.
func Headline(r *ksp.TransparencyReport) []Row {
	var rows []Row
	add := func(l, v string) { rows = append(rows, Row{l, v}) }
	if m := r.Membership; m != nil {
		add("Applications received", fig(m.Applications.Received))
		add("Applications approved", fig(m.Applications.Approved))
		add("Applications rejected", fig(m.Applications.Rejected))
	}
	if s := r.Submissions; s != nil {
		add("Hash-bank submissions added", fig(s.Added))
		add("… of which joined an existing signal", fig(s.Merged))
		add("Submissions retracted", fig(s.Retracted))
		add("Negative-bank entries added", fig(s.NegativeBank))
	}
	if f := r.Feedback; f != nil {
		add("False-positive share of verdicts", share(f.FalsePositiveShare))
	}
	if d := r.Disputes; d != nil {
		add("Disputes opened", fig(d.Opened))
		add("Disputes resolved", fig(d.Resolved))
		add("Median time to resolve a dispute", seconds(d.MedianResolutionSeconds))
	}
	if m := r.Matching; m != nil {
		add("Match requests", fig(m.Requests))
		add("Matches returned", fig(m.Hits))
	}
	for _, a := range []struct {
		name string
		f    *ksp.AlertFigures
	}{{"Alerts sent", r.Alerts}, {"Alerts received", r.AlertsReceived}} {
		if a.f == nil {
			continue
		}
		add(a.name, fig(a.f.Sent))
		add(a.name+": median time to response", seconds(a.f.MedianResponseSeconds))
		add(a.name+": 90th percentile time to response", seconds(a.f.P90ResponseSeconds))
		add(a.name+": share answered “no violation”", share(a.f.NoViolationShare))
		add(a.name+": escalated", fig(a.f.Escalated))
		add(a.name+": removal orders", fig(a.f.RemovalOrders.Received))
		add(a.name+": removal orders met within the hour", fig(a.f.RemovalOrders.MetWithinHour))
	}
	if i := r.Incidents; i != nil {
		add("Incidents activated", fig(i.Activated))
		add("Median incident duration", seconds(i.MedianDurationSeconds))
		add("Organisations notified of incidents", fig(i.OrgsNotified))
	}
	if l := r.Library; l != nil {
		add("Library resources published", fig(l.Published))
		add("Library searches", fig(l.Searches))
	}
	if s := r.Staff; s != nil {
		add("Staff reads of restricted items", fig(s.RestrictedReads))
		add("Staff dispute resolutions", fig(s.Resolutions))
		add("Incident activations", fig(s.Activations))
	}
	return rows
}

// Title names the report.
func Title(r *ksp.TransparencyReport, orgName string) string {
	p := r.Period.Label
	if p == "" {
		p = r.Period.From + " to " + r.Period.To
	}
	if orgName != "" {
		return "Transparency report of " + orgName + ", " + p
	}
	return "KSP transparency report, " + p
}

var page = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ddd}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:600;padding:.25rem 0}
figure{margin:1.5rem 0;break-inside:avoid;page-break-inside:avoid}figcaption{font-weight:600}
.tr-chart{max-width:100%;height:auto}.note{color:#444;font-size:.9rem}
@media print{nav{display:none}body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid;page-break-after:avoid}.table-wrap{overflow:visible}a{color:inherit;text-decoration:none}}
</style>
</head>
<body>
<header><h1>{{.Title}}</h1>
<nav aria-label="Sections"><a href="#main-figures">Main figures</a> · <a href="#charts">Charts</a> · <a href="#method">How these figures are made</a></nav>
</header>
<main>
<p>Period {{.R.Period.From}} to {{.R.Period.To}} (UTC, both days included).{{if .SHA}} Published report, SHA-256 <code>{{.SHA}}</code>.{{end}}</p>
<h2 id="main-figures">Main figures</h2>
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="tr-main-caption"><table>
<caption id="tr-main-caption">Main figures</caption>
<thead><tr><th scope="col">Figure</th><th scope="col" class="num">Value</th></tr></thead>
<tbody>{{range .Rows}}<tr><th scope="row">{{.Label}}</th><td class="num">{{.Value}}</td></tr>{{end}}</tbody>
</table></div>
<h2 id="charts">Charts</h2>
{{range .Charts}}<figure aria-labelledby="{{.ID}}-fig"><figcaption id="{{.ID}}-fig">{{.Title}}</figcaption>
{{.SVG}}
{{.Table}}
</figure>
{{end}}
<h2 id="method">How these figures are made</h2>
<p class="note">Every figure is computed from the platform's records and its tamper-evident audit log, not written by hand.
Matching figures are daily aggregates; no queried hash is kept. In public reports a breakdown cell backed by fewer than
{{.Threshold}} organisations is suppressed, and so is a second cell (or the total) wherever it could be worked out by
subtraction.{{if .Suppressed}} Suppressed here: {{.Suppressed}}.{{end}}</p>
</main>
</body>
</html>
`))

// HTML writes the report as a stand-alone HTML document (no external
// assets) that prints well.
func HTML(w io.Writer, r *ksp.TransparencyReport, orgName, sha string) error {
	err := page.Execute(w, map[string]any{
		"Title": Title(r, orgName), "R": r, "SHA": sha, "Rows": Headline(r), "Charts": Charts(r),
		"Threshold": ksp.SuppressionThreshold, "Suppressed": strings.Join(r.Suppressed, ", "),
	})
	if err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}

// CSV writes the report as "figure,value" rows, one per figure of the JSON
// form in dotted paths ("alerts.by_kind.referral"); a suppressed figure has
// an empty value and "suppressed" in the third column.
func CSV(w io.Writer, r *ksp.TransparencyReport) error {
	b, err := ksp.MarshalReport(r)
	if err != nil {
		return err
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	suppressed := map[string]bool{}
	for _, p := range r.Suppressed {
		suppressed[p] = true
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"figure", "value", "note"})
	var walk func(path string, x any)
	walk = func(path string, x any) {
		switch t := x.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, t[k])
			}
		case []any:
			if path == "suppressed" {
				return
			}
			for i, e := range t {
				if m, ok := e.(map[string]any); ok && m["month"] != nil {
					delete(m, "month")
					walk(path+"."+r.Monthly[i].Month, m)
					continue
				}
				walk(path+"."+strconv.Itoa(i), e)
			}
		case nil:
			note := ""
			if suppressed[path] {
				note = "suppressed"
			}
			cw.Write([]string{path, "", note})
		case float64:
			cw.Write([]string{path, strconv.FormatFloat(t, 'f', -1, 64), ""})
		default:
			cw.Write([]string{path, fmt.Sprint(t), ""})
		}
	}
	walk("", v)
	cw.Flush()
	return cw.Error()
}
