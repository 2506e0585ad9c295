package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

// Draft writes the Markdown draft of an org's own transparency report from
// its org report: the figures filled in, the prose left for the org to
// write. Its sections follow the usual structure of platform transparency
// reports (orders from authorities, notices, own moderation, automated
// tools, complaints), as in the EU's templates. statements are the org's
// statements of reasons decided in the period (ksp.CaseService
// FindStatements), counted by ground in section 4.
func Draft(r *ksp.TransparencyReport, orgName string, statements []*ksp.StatementOfReasons) string {
	var b strings.Builder
	p := r.Period.Label
	if p == "" {
		p = r.Period.From + " to " + r.Period.To
	}
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	row := func(label, value string) { line("| %s | %s |", label, value) }
	line("# Transparency report of %s, %s", mdEscape(orgName), p)
	line("")
	line("_Period: %s to %s (UTC). Figures pre-filled from our records on the KSP platform; edit the text before publishing._", r.Period.From, r.Period.To)
	line("")
	line("## 1. About this report")
	line("")
	line("[Describe your service, its users and how you moderate terrorist and violent extremist content.]")
	line("")
	recv := r.AlertsReceived
	if recv != nil {
		line("## 2. Orders from authorities")
		line("")
		line("| Figure | Value |")
		line("|---|---|")
		row("Removal orders received", fig(recv.RemovalOrders.Received))
		row("Removal orders met within one hour", fig(recv.RemovalOrders.MetWithinHour))
		row("Orders and alerts from governments", fig(recv.BySenderKind["government"]))
		line("")
		line("## 3. Alerts received and their outcomes")
		line("")
		line("| Figure | Value |")
		line("|---|---|")
		row("Alerts received", fig(recv.Sent))
		for _, k := range []string{"referral", "tco_removal_order", "dsa_order"} {
			row("… "+k, fig(recv.ByKind[k]))
		}
		for _, a := range ksp.AlertResponses {
			row("Outcome: "+a, fig(recv.Responses[a]))
		}
		row("Median time to response", seconds(recv.MedianResponseSeconds))
		row("90th percentile time to response", seconds(recv.P90ResponseSeconds))
		row("Escalated for a late answer", fig(recv.Escalated))
		line("")
	}
	line("## 4. Statements of reasons by ground")
	line("")
	draftStatements(line, statements)
	line("")
	if s := r.Submissions; s != nil {
		line("## 5. Signals shared with the hash bank")
		line("")
		line("| Figure | Value |")
		line("|---|---|")
		row("Hashes and URLs shared", fig(s.Added))
		row("Withdrawn", fig(s.Retracted))
		for _, k := range []string{"pdq", "md5", "sha256", "url"} {
			row("Type: "+k, fig(s.ByType[k]))
		}
		for _, l := range ksp.Labels {
			if f := s.ByLabel[l]; f != nil && f.N > 0 {
				row("Behaviour: "+l, fig(f))
			}
		}
		line("")
	}
	if f := r.Feedback; f != nil {
		line("## 6. Feedback we gave on others' signals")
		line("")
		line("| Verdict | Count |")
		line("|---|---|")
		for _, v := range ksp.Verdicts {
			row(v, fig(f.ByVerdict[v]))
		}
		if d := r.Disputes; d != nil {
			row("Disputes we opened", fig(d.Opened))
		}
		line("")
	}
	if m := r.Matching; m != nil {
		line("## 7. Use of automated tools")
		line("")
		line("We matched content against the shared hash bank %s times and received %s matches, each reviewed by a person before any action.", fig(m.Requests), fig(m.Hits))
		line("")
	}
	if a := r.Alerts; a != nil {
		line("## 8. Alerts we sent to other platforms")
		line("")
		line("| Figure | Value |")
		line("|---|---|")
		row("Alerts sent", fig(a.Sent))
		for _, x := range ksp.AlertResponses {
			row("Outcome: "+x, fig(a.Responses[x]))
		}
		line("")
	}
	line("## 9. Contact")
	line("")
	line("[How users and authorities can reach you about this report.]")
	return b.String()
}

// draftStatements writes section 4: the statements of reasons the org
// issued after its reviewers removed or restricted content that matched
// the bank, by ground, by measure, by legal ground cited and by content
// type.
func draftStatements(line func(string, ...any), sts []*ksp.StatementOfReasons) {
	if len(sts) == 0 {
		line("We issued no statements of reasons for content that matched the shared hash bank in this period.")
		return
	}
	var illegal, incompatible, removed, disabled, autoDetected, autoDecided int
	legal := map[string]int{}
	types := map[string]int{}
	for _, s := range sts {
		switch s.DecisionGround {
		case ksp.SoRGroundIllegal:
			illegal++
			legal[strings.TrimSpace(s.IllegalContentLegalGround)]++
		case ksp.SoRGroundIncompatible:
			incompatible++
		}
		if slices.Contains(s.DecisionVisibility, ksp.SoRContentRemoved) {
			removed++
		}
		if slices.Contains(s.DecisionVisibility, ksp.SoRContentDisabled) {
			disabled++
		}
		if s.AutomatedDetection == ksp.SoRAutomatedDetected {
			autoDetected++
		}
		if s.AutomatedDecision != "" && s.AutomatedDecision != ksp.SoRNotAutomated {
			autoDecided++
		}
		for _, t := range s.ContentType {
			types[t]++
		}
	}
	line("Every removal or restriction of content that matched the shared hash bank came with a statement of reasons to the user concerned.")
	line("")
	line("| Figure | Value |")
	line("|---|---|")
	line("| Statements of reasons issued | %d |", len(sts))
	line("| Ground: illegal content | %d |", illegal)
	line("| Ground: incompatible with our terms of service | %d |", incompatible)
	line("| Measure: content removed | %d |", removed)
	line("| Measure: access disabled (restricted) | %d |", disabled)
	line("| Detected by automated means (hash match) | %d |", autoDetected)
	line("| Decided fully or partly by automated means | %d |", autoDecided)
	for _, t := range slices.Sorted(maps.Keys(types)) {
		line("| Content type: %s | %d |", mdEscape(strings.ToLower(strings.TrimPrefix(t, "CONTENT_TYPE_"))), types[t])
	}
	if len(legal) > 0 {
		line("")
		line("Legal grounds cited for illegal content:")
		line("")
		line("| Legal ground | Statements |")
		line("|---|---|")
		for _, g := range slices.Sorted(maps.Keys(legal)) {
			name := g
			if name == "" {
				name = "(not named)"
			}
			line("| %s | %d |", mdEscape(name), legal[g])
		}
	}
}

// mdEscape keeps an org's name from being read as Markdown.
func mdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", "#", `\#`, "|", `\|`)
	return r.Replace(strings.ReplaceAll(s, "\n", " "))
}
