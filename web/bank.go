package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/signalio"
)

// The bank list (/signals): filters, a search by value or its start (q),
// sorts by the figures the viewer sees, and the export of what the
// viewer's organisation may take out (/signals/export), written by the
// same code as `ksp export signals`.

func init() {
	funcs["bankValue"] = bankValue
	funcs["kinds"] = func(kinds []ksp.OrgKind) string {
		out := make([]string, len(kinds))
		for i, k := range kinds {
			out[i] = human(string(k))
		}
		return strings.Join(out, ", ")
	}
	funcs["formatDay"] = func(t ksp.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2 Jan 2006")
	}
}

// SignalsData is the signals list's content.
type SignalsData struct {
	Signals  []*ksp.Signal
	Pager    Pager
	Filtered bool
	CanShare bool
	Filters  []Field
	// Sort names the order the list is in, for the table's caption.
	Sort string
}

// sortWords are the list's orders. A sort is a figure's name, ascending,
// or with "-" before it, descending (as in the JSON API's ?sort=).
var sortWords = []struct{ value, label string }{
	{"", "Newest shared first"},
	{"-first_seen", "First seen, newest first"},
	{"first_seen", "First seen, oldest first"},
	{"-last_seen", "Last seen, newest first"},
	{"last_seen", "Last seen, oldest first"},
	{"-confidence", "Confidence, highest first"},
	{"confidence", "Confidence, lowest first"},
}

// signalFilter reads the list's filters; unknown values filter nothing.
// The search and the sort are kept as given: the store checks them and
// the page names the problem.
func signalFilter(q url.Values) (ksp.SignalFilter, url.Values) {
	f := ksp.SignalFilter{Page: ksp.Page{Limit: 25, Cursor: q.Get("cursor")}}
	kept := url.Values{}
	pick := func(name string, allowed []string) *string {
		v := q.Get(name)
		if v == "" || !slices.Contains(allowed, v) {
			return nil
		}
		kept.Set(name, v)
		return &v
	}
	f.Type = pick("type", ksp.SignalTypes)
	f.Label = pick("label", ksp.Labels)
	f.Status = pick("status", []string{ksp.StatusActive, ksp.StatusDisputed, ksp.StatusRetracted})
	if v := strings.TrimSpace(q.Get("q")); v != "" {
		f.Query = v
		kept.Set("q", v)
	}
	if v := q.Get("sort"); v != "" {
		f.Sort = v
		kept.Set("sort", v)
	}
	return f, kept
}

func (s *Server) signals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, kept := signalFilter(q)
	p := &Page{Title: "Signals", Form: kept}
	status := http.StatusOK
	list, next, err := s.store.FindSignals(r.Context(), f)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		p.Errors = formErrors(err, map[string]string{"q": "Search", "sort": "Sort by", "cursor": "Page"}, "q")
		status, list, next = http.StatusBadRequest, nil, ""
	} else if err != nil {
		return err
	}
	d := SignalsData{Signals: list, Filtered: len(kept) > 0 && (len(kept) > 1 || !kept.Has("sort")), CanShare: mayShare(ksp.ActorFrom(r.Context()))}
	for _, sw := range sortWords {
		if sw.value == f.Sort {
			d.Sort = sw.label
		}
	}
	d.Pager = pagerFor(r, next)
	opts := func(all string, values []string) []string {
		out := []string{"option=|" + all}
		for _, v := range values {
			out = append(out, "option="+v+"|"+human(v))
		}
		return out
	}
	sorts := []string{"type=select"}
	for _, sw := range sortWords {
		sorts = append(sorts, "option="+sw.value+"|"+sw.label)
	}
	d.Filters = []Field{
		newField(p, "q", "Value or its start", "autocomplete=off", "hint=Hex digits of a hash, or a URL, a host or the start of a URL"),
		newField(p, "type", "Type", append([]string{"type=select"}, opts("Any type", ksp.SignalTypes)...)...),
		newField(p, "label", "Label", append([]string{"type=select"}, opts("Any label", ksp.Labels)...)...),
		newField(p, "status", "Status", append([]string{"type=select"}, opts("Any status", []string{ksp.StatusActive, ksp.StatusDisputed, ksp.StatusRetracted})...)...),
		newField(p, "sort", "Sort by", sorts...),
	}
	p.Data = d
	return s.render(w, r, status, "signals.html", p)
}

// bankValue shortens a value for a table cell. A URL keeps its host and
// the distinct end of its path and query (example.test/…/final-part?x=1),
// so that two URLs of one site tell apart; a hash keeps its start and end.
func bankValue(typ, v string) string {
	if typ != ksp.TypeURL {
		return shortValue(v)
	}
	rest := v
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	host, path, _ := strings.Cut(rest, "/")
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i:]
	}
	segs := strings.Split(path, "/")
	last := segs[len(segs)-1]
	if last == "" && len(segs) > 1 {
		last = segs[len(segs)-2] + "/"
		segs = segs[:len(segs)-1]
	}
	out := host + "/"
	if len(segs) > 1 {
		out += "…/"
	}
	return out + clip(last, 32) + clip(query, 24)
}

// clip shortens s to at most n runes, with an ellipsis in the middle.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n/2]) + "…" + string(r[len(r)-(n-n/2-1):])
}

// exportSignals downloads what the viewer's organisation may export, as
// `ksp export signals --org` writes it: TLP:RED and TLP:AMBER+STRICT never
// leave, TLP:AMBER only towards organisations of its distribution.
func (s *Server) exportSignals(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	ctype := map[string]string{"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}[format]
	if ctype == "" {
		s.errorPage(w, r, http.StatusBadRequest, "Choose csv or ndjson", "The export is available as CSV (format=csv) or as NDJSON (format=ndjson).")
		return nil
	}
	ew, err := signalio.NewWriter(w, format)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("ksp-signals-%s.%s", time.Now().UTC().Format("2006-01-02"), format)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	n, err := signalio.Export(r.Context(), s.store, ew, nil)
	if err != nil {
		// The download has begun: cut it short, so that the browser
		// reports a failed download rather than keeping a partial file.
		s.log.Error("signals export failed", "err", err, "written", n)
		panic(http.ErrAbortHandler)
	}
	s.log.Info("signals exported", "format", format, "signals", n, "actor", ksp.ActorFrom(r.Context()).AuditName())
	return nil
}
