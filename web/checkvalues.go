package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// "Check hashes and URLs": values pasted one a line (the hashes and URLs a
// platform's own tools produced) are matched against the bank through the
// matcher, as POST /api/v1/match does. Nothing pasted is kept.

// maxPastedBytes bounds the pasted form: 1,000 lines of the longest
// values (URLs of up to 4,096 characters are refused later, per line).
const maxPastedBytes = 512 << 10

// ValueLine is one pasted line and what it matched.
type ValueLine struct {
	Line    int
	Value   string
	Type    string // pdq, md5, sha256, url, or "pdq or sha256"
	Error   string
	Matches []ValueMatch
}

// ValueMatch is a match of a pasted value, named by its labels and first
// seen date as the viewer sees them.
type ValueMatch struct {
	ksp.MatchHit
	FirstSeen ksp.Time
}

// ValuesResult is what a pasted list matched.
type ValuesResult struct {
	Lines   []ValueLine
	Checked int // lines checked (without errors)
	Matched int // lines with at least one match
	Errors  int
}

// parseValueLine recognises a pasted line's type: a prefix "pdq:",
// "md5:", "sha256:" or "url:" names it; else an http(s) URL, 32 hex digits
// (MD5) or 64 (PDQ or SHA-256: both are matched).
func parseValueLine(s string) (types []string, value, problem string) {
	s = strings.TrimSpace(s)
	if typ, v, ok := strings.Cut(s, ":"); ok && (typ == ksp.TypePDQ || typ == ksp.TypeMD5 || typ == ksp.TypeSHA256 || (typ == ksp.TypeURL && !strings.HasPrefix(v, "//"))) {
		norm, why := ksp.NormalizeValue(typ, v)
		if why != "" {
			return nil, s, why
		}
		return []string{typ}, norm, ""
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		norm, why := ksp.NormalizeValue(ksp.TypeURL, s)
		if why != "" {
			return nil, s, "URL " + why
		}
		return []string{ksp.TypeURL}, norm, ""
	case hexString(s) && len(s) == 32:
		return []string{ksp.TypeMD5}, lower, ""
	case hexString(s) && len(s) == 64:
		return []string{ksp.TypePDQ, ksp.TypeSHA256}, lower, ""
	}
	return nil, s, "not a PDQ, MD5 or SHA-256 hash in hexadecimal, nor an http or https URL"
}

// hexString reports whether s is hexadecimal digits only.
func hexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return s != ""
}

// checkValues matches pasted values and shows the results per line, or
// with format=csv sends them as a CSV download.
func (s *Server) checkValues(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	p := &Page{Form: r.PostForm}
	if !a.HasScope(ksp.ScopeMatch) || s.cfg.Matcher == nil {
		return s.checkPage(w, r, http.StatusForbidden, p, nil)
	}
	fail := func(status int, msg string) error {
		p.Errors = []FormError{{Field: "values", Message: msg}}
		return s.checkPage(w, r, status, p, nil)
	}
	var lines []ValueLine
	var queries []ksp.MatchQuery
	var owner []int // queries[i] belongs to lines[owner[i]]
	for i, raw := range strings.Split(r.PostFormValue("values"), "\n") {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		if len(lines) == ksp.MaxMatchQueries {
			return fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("Paste at most %d values at a time: line %d is one too many.", ksp.MaxMatchQueries, i+1))
		}
		types, value, problem := parseValueLine(raw)
		l := ValueLine{Line: i + 1, Value: value, Type: strings.Join(types, " or "), Error: problem}
		for _, t := range types {
			queries = append(queries, ksp.MatchQuery{Type: t, Value: value})
			owner = append(owner, len(lines))
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return fail(http.StatusBadRequest, "Paste at least one hash or URL, one a line")
	}
	res := &ValuesResult{}
	firstSeen := map[string]ksp.Time{}
	for start := 0; start < len(queries); start += ksp.MaxMatchQueries {
		end := min(start+ksp.MaxMatchQueries, len(queries))
		results, err := s.cfg.Matcher.Match(r.Context(), queries[start:end], ksp.DefaultThreshold)
		if err != nil {
			return err
		}
		for i, mr := range results {
			l := &lines[owner[start+i]]
			for _, h := range mr.Matches {
				t, ok := firstSeen[h.SignalID]
				if !ok {
					// The matcher answers only what the viewer may see; the
					// signal as the viewer sees it gives its first seen.
					if sig, err := s.store.FindSignalByID(r.Context(), h.SignalID); err == nil {
						t = sig.FirstSeen
					}
					firstSeen[h.SignalID] = t
				}
				l.Matches = append(l.Matches, ValueMatch{MatchHit: h, FirstSeen: t})
			}
		}
	}
	for _, l := range lines {
		switch {
		case l.Error != "":
			res.Errors++
		case len(l.Matches) > 0:
			res.Matched++
			res.Checked++
		default:
			res.Checked++
		}
	}
	res.Lines = lines
	if r.PostFormValue("format") == "csv" {
		return writeValuesCSV(w, res)
	}
	p.Title = "Check hashes and URLs"
	return s.checkPageValues(w, r, p, res)
}

// writeValuesCSV sends the results as a CSV file: one row a match, and a
// row for each line without one (with its error, if any).
func writeValuesCSV(w http.ResponseWriter, res *ValuesResult) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ksp-check.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"line", "value", "type", "error", "signal_id", "signal_type", "distance", "labels", "first_seen", "confidence", "actionable", "not_actionable_reason"})
	for _, l := range res.Lines {
		if len(l.Matches) == 0 {
			cw.Write([]string{strconv.Itoa(l.Line), l.Value, l.Type, l.Error, "", "", "", "", "", "", "", ""})
			continue
		}
		for _, m := range l.Matches {
			first := ""
			if !m.FirstSeen.IsZero() {
				first = ksp.FormatTime(m.FirstSeen.Time)
			}
			cw.Write([]string{strconv.Itoa(l.Line), l.Value, l.Type, "", m.SignalID, m.Type, strconv.Itoa(m.Distance), strings.Join(m.Labels, "|"), first,
				strconv.FormatFloat(m.Confidence, 'f', 3, 64), strconv.FormatBool(m.Actionable), m.NotActionable})
		}
	}
	cw.Flush()
	return cw.Error()
}
