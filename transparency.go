package ksp

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SuppressionThreshold is the fewest orgs a public breakdown cell must be
// backed by: a cell of one or two orgs would tell what those orgs did.
const SuppressionThreshold = 3

// TransparencyPeriod is a closed range of UTC days. Label is "2026" or
// "2026-Q3" for the calendar periods the public may ask for, "" otherwise.
type TransparencyPeriod struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label,omitempty"`
}

var calendarPeriod = regexp.MustCompile(`^([0-9]{4})(?:-Q([1-4]))?$`)

// ParseCalendarPeriod reads "YYYY" or "YYYY-Qn".
func ParseCalendarPeriod(s string) (TransparencyPeriod, error) {
	m := calendarPeriod.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return TransparencyPeriod{}, &Error{Code: EINVALID, Message: "invalid period", Fields: []FieldError{{Field: "period", Reason: "a calendar year YYYY or quarter YYYY-Qn"}}}
	}
	y, _ := strconv.Atoi(m[1])
	if y < 2000 || y > 9998 {
		return TransparencyPeriod{}, &Error{Code: EINVALID, Message: "invalid period", Fields: []FieldError{{Field: "period", Reason: "a year between 2000 and 9998"}}}
	}
	from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	months := 12
	if m[2] != "" {
		q, _ := strconv.Atoi(m[2])
		from = from.AddDate(0, 3*(q-1), 0)
		months = 3
	}
	to := from.AddDate(0, months, -1)
	return TransparencyPeriod{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Label: m[0]}, nil
}

// ParsePeriodDays reads an arbitrary period of days (from and to
// inclusive); it may start before any data and end in the future. A period
// that happens to be a calendar year or quarter gets its label.
func ParsePeriodDays(from, to string) (TransparencyPeriod, error) {
	var f Fields
	a, errA := time.Parse(time.DateOnly, from)
	if errA != nil || a.Year() < 1970 {
		f.Add("from", "a day as YYYY-MM-DD")
	}
	b, errB := time.Parse(time.DateOnly, to)
	if errB != nil || b.Year() > 9998 {
		f.Add("to", "a day as YYYY-MM-DD")
	}
	if errA == nil && errB == nil && b.Before(a) {
		f.Add("to", "must not be before from")
	}
	if err := f.Err(); err != nil {
		return TransparencyPeriod{}, err
	}
	p := TransparencyPeriod{From: from, To: to}
	p.Label = p.calendarLabel()
	return p, nil
}

func (p TransparencyPeriod) calendarLabel() string {
	a, _ := time.Parse(time.DateOnly, p.From)
	for _, l := range []string{strconv.Itoa(a.Year()), fmt.Sprintf("%d-Q%d", a.Year(), (int(a.Month())-1)/3+1)} {
		if c, err := ParseCalendarPeriod(l); err == nil && c.From == p.From && c.To == p.To {
			return l
		}
	}
	return ""
}

// Bounds returns the period as [start, end) instants.
func (p TransparencyPeriod) Bounds() (time.Time, time.Time) {
	a, _ := time.Parse(time.DateOnly, p.From)
	b, _ := time.Parse(time.DateOnly, p.To)
	return a, b.AddDate(0, 0, 1)
}

// Months lists the months ("YYYY-MM") the period touches, in order.
func (p TransparencyPeriod) Months() []string {
	a, end := p.Bounds()
	var out []string
	for m := time.Date(a.Year(), a.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(end); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
		if len(out) > 1200 {
			break
		}
	}
	return out
}

// Figure is one count (or a number of seconds) in a transparency report.
// Orgs is how many distinct organisations the figure is backed by, which
// decides suppression; it never leaves the server. A hidden figure is
// written as null.
type Figure struct {
	N      int64
	Orgs   int
	Hidden bool
}

// Fig returns a figure of n backed by orgs organisations.
func Fig(n int64, orgs int) *Figure { return &Figure{N: n, Orgs: orgs} }

// MarshalJSON writes the count, or null when hidden.
func (f Figure) MarshalJSON() ([]byte, error) {
	if f.Hidden {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, f.N, 10), nil
}

// JSONSchema describes a figure for the OpenAPI document.
func (Figure) JSONSchema() map[string]any {
	return map[string]any{"type": []any{"integer", "null"}}
}

// UnmarshalJSON reads a count, or null as a hidden figure.
func (f *Figure) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Figure{Hidden: true}
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("figure: %w", err)
	}
	*f = Figure{N: n}
	return nil
}

// Share is a proportion 0–1 rounded to four places, or null when hidden or
// undefined (nothing to divide by).
type Share struct {
	V      float64
	Hidden bool
}

// MarshalJSON writes the share, or null.
func (s Share) MarshalJSON() ([]byte, error) {
	if s.Hidden {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, s.V, 'f', -1, 64), nil
}

// JSONSchema describes a share for the OpenAPI document.
func (Share) JSONSchema() map[string]any {
	return map[string]any{"type": []any{"number", "null"}, "minimum": 0, "maximum": 1}
}

// UnmarshalJSON reads a share, or null.
func (s *Share) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = Share{Hidden: true}
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*s = Share{V: v}
	return err
}

// ShareOf divides num by den, hidden when den is 0 or either is hidden.
func ShareOf(num, den *Figure) Share {
	if num == nil || den == nil || num.Hidden || den.Hidden || den.N == 0 {
		return Share{Hidden: true}
	}
	return Share{V: math.Round(float64(num.N)/float64(den.N)*10000) / 10000}
}

// Figures is a breakdown: the API's values as keys.
type Figures map[string]*Figure

// Get returns the count of key (0 when absent or hidden).
func (m Figures) Get(key string) int64 {
	if f := m[key]; f != nil && !f.Hidden {
		return f.N
	}
	return 0
}

// MembershipFigures are the membership section.
type MembershipFigures struct {
	OrgsByKind   Figures             `json:"orgs_by_kind"`
	OrgsBySize   Figures             `json:"orgs_by_size"`
	Applications ApplicationsFigures `json:"applications"`
}

// ApplicationsFigures count applications received and decided in the period.
type ApplicationsFigures struct {
	Received *Figure `json:"received"`
	Approved *Figure `json:"approved"`
	Rejected *Figure `json:"rejected"`
}

// SubmissionFigures are the hash-bank section. Added counts every
// submission made in the period; Merged those of them that joined a signal
// another submission had already created.
type SubmissionFigures struct {
	Added          *Figure `json:"added"`
	Merged         *Figure `json:"merged"`
	Retracted      *Figure `json:"retracted"`
	ByType         Figures `json:"by_type"`
	ByLabel        Figures `json:"by_label"`
	ByBasis        Figures `json:"by_basis"`
	ByDistribution Figures `json:"by_distribution"`
	ByTLP          Figures `json:"by_tlp"`
	// ByEntityList counts submissions naming an entity on each list.
	ByEntityList Figures `json:"by_entity_list"`
	// ByEntityIdeology counts submissions naming an entity of each ideology.
	ByEntityIdeology Figures `json:"by_entity_ideology"`
	// NegativeBank counts negative-bank entries added in the period.
	NegativeBank *Figure `json:"negative_bank"`
}

// FeedbackFigures count verdicts given in the period.
type FeedbackFigures struct {
	ByVerdict          Figures `json:"by_verdict"`
	FalsePositiveShare Share   `json:"false_positive_share"`
}

// DisputeFigures count disputes opened and resolutions given in the
// period; the resolution time runs from a signal's first dispute to its
// resolution.
type DisputeFigures struct {
	Opened                  *Figure `json:"opened"`
	Resolved                *Figure `json:"resolved"`
	ByResolution            Figures `json:"by_resolution"`
	MedianResolutionSeconds *Figure `json:"median_resolution_seconds"`
}

// MatchingFigures come from the daily match aggregates only.
type MatchingFigures struct {
	Requests *Figure `json:"requests"`
	Hits     *Figure `json:"hits"`
}

// AlertFigures describe the alerts created in the period: in platform
// reports all of them, in an org's report those it sent (Alerts) or
// received (AlertsReceived). Responses and times are those alerts'.
type AlertFigures struct {
	Sent                         *Figure          `json:"sent"`
	ByKind                       Figures          `json:"by_kind"`
	ByTier                       Figures          `json:"by_tier"`
	BySenderKind                 Figures          `json:"by_sender_kind"`
	Responses                    Figures          `json:"responses"`
	NoViolationShare             Share            `json:"no_violation_share"`
	NoViolationShareBySenderKind map[string]Share `json:"no_violation_share_by_sender_kind"`
	// NoViolationShareBySender is per sending org: only in staff reports.
	NoViolationShareBySender map[string]Share    `json:"no_violation_share_by_sender,omitempty"`
	MedianResponseSeconds    *Figure             `json:"median_response_seconds"`
	P90ResponseSeconds       *Figure             `json:"p90_response_seconds"`
	Escalated                *Figure             `json:"escalated"`
	RemovalOrders            RemovalOrderFigures `json:"removal_orders"`
}

// RemovalOrderFigures count TCO removal orders and those met within the
// hour (content removed or disabled within one hour of receipt).
type RemovalOrderFigures struct {
	Received      *Figure `json:"received"`
	MetWithinHour *Figure `json:"met_within_hour"`
}

// IncidentFigures count incidents activated in the period.
type IncidentFigures struct {
	Activated             *Figure `json:"activated"`
	ByType                Figures `json:"by_type"`
	MedianDurationSeconds *Figure `json:"median_duration_seconds"`
	OrgsNotified          *Figure `json:"orgs_notified"`
}

// LibraryFigures count resources published and searches run.
type LibraryFigures struct {
	Published *Figure `json:"published"`
	Searches  *Figure `json:"searches"`
}

// StaffFigures count the secretariat's use of its powers, from the audit
// chain.
type StaffFigures struct {
	RestrictedReads *Figure `json:"restricted_reads"`
	Resolutions     *Figure `json:"resolutions"`
	Activations     *Figure `json:"activations"`
}

// MonthFigures is one month of the series the charts draw.
type MonthFigures struct {
	Month         string `json:"month"`
	Submissions   int64  `json:"submissions"`
	Alerts        int64  `json:"alerts"`
	MatchRequests int64  `json:"match_requests"`
	Hits          int64  `json:"hits"`
}

// TransparencyReport is the report of API.md's "Transparency report"
// section. Sections an org's report has no figures for are null.
type TransparencyReport struct {
	Period         TransparencyPeriod `json:"period"`
	Org            *string            `json:"org"`
	Membership     *MembershipFigures `json:"membership"`
	Submissions    *SubmissionFigures `json:"submissions"`
	Feedback       *FeedbackFigures   `json:"feedback"`
	Disputes       *DisputeFigures    `json:"disputes"`
	Matching       *MatchingFigures   `json:"matching"`
	Alerts         *AlertFigures      `json:"alerts"`
	AlertsReceived *AlertFigures      `json:"alerts_received,omitempty"`
	Incidents      *IncidentFigures   `json:"incidents"`
	Library        *LibraryFigures    `json:"library"`
	Staff          *StaffFigures      `json:"staff"`
	Monthly        []MonthFigures     `json:"monthly"`
	Suppressed     []string           `json:"suppressed"`
}

// TransparencyQuery asks for a report. OrgID "" is platform-wide. Public
// asks for the figures as the public sees them (calendar periods only,
// suppressed), which staff use to preview and publish.
type TransparencyQuery struct {
	Period TransparencyPeriod
	OrgID  string
	Public bool
}

// PublishedReport is a report frozen for a calendar period: Body is
// served byte for byte, SHA256 is its hash as pinned in the audit chain
// (event AuditSeq).
type PublishedReport struct {
	ID          string `json:"id"`
	Period      string `json:"period"`
	SHA256      string `json:"sha256"`
	AuditSeq    int64  `json:"audit_seq"`
	PublishedAt Time   `json:"published_at"`
	URL         string `json:"url,omitempty"`
	Body        []byte `json:"-"`
}

// TransparencyService computes and publishes transparency reports.
type TransparencyService interface {
	// TransparencyReport computes a report: platform-wide public figures
	// for calendar periods to anyone, anything to staff, an org's own
	// report to its admins.
	TransparencyReport(ctx context.Context, q TransparencyQuery) (*TransparencyReport, error)
	// PublishTransparencyReport freezes the public report of a calendar
	// period (staff) and pins its SHA-256 in the audit chain.
	PublishTransparencyReport(ctx context.Context, period string) (*PublishedReport, error)
	// FindPublishedReports lists published reports, newest period first,
	// without their bodies.
	FindPublishedReports(ctx context.Context) ([]*PublishedReport, error)
	// FindPublishedReport returns one published report with its body.
	FindPublishedReport(ctx context.Context, period string) (*PublishedReport, error)
}

// breakdown is a map of cells that add up (or relate) to a total.
type breakdown struct {
	path  string
	cells Figures
	total *Figure
	// totalPath names the total when it must be hidden too.
	totalPath string
}

// Suppress hides every breakdown cell backed by fewer than
// SuppressionThreshold organisations (but more than none), and as many
// other cells as it takes so that the total and the rest cannot reveal a
// hidden cell: with one hidden cell in a breakdown, the smallest other
// non-zero cell is hidden too; when there is none, the total. Medians and
// shares backed by too few orgs are hidden as well. The paths hidden are
// listed in r.Suppressed.
func (r *TransparencyReport) Suppress() {
	hide := func(path string, f *Figure) {
		if f != nil && !f.Hidden {
			f.Hidden = true
			r.Suppressed = append(r.Suppressed, path)
		}
	}
	small := func(f *Figure) bool { return f != nil && !f.Hidden && f.N > 0 && f.Orgs < SuppressionThreshold }
	for _, b := range r.breakdowns() {
		keys := sortedKeys(b.cells)
		hidden := 0
		for _, k := range keys {
			if small(b.cells[k]) {
				hide(b.path+"."+k, b.cells[k])
				hidden++
			}
		}
		if hidden != 1 || b.total == nil || b.total.Hidden {
			continue
		}
		var best string
		for _, k := range keys {
			f := b.cells[k]
			if f.Hidden || f.N == 0 {
				continue
			}
			if best == "" || f.N < b.cells[best].N {
				best = k
			}
		}
		switch {
		case best != "":
			hide(b.path+"."+best, b.cells[best])
		default:
			hide(b.totalPath, b.total)
		}
	}
	for path, f := range r.lonelyFigures() {
		if f != nil && f.N > 0 && f.Orgs < SuppressionThreshold {
			hide(path, f)
		}
	}
	r.hideShares()
	sort.Strings(r.Suppressed)
	if r.Suppressed == nil {
		r.Suppressed = []string{}
	}
}

func sortedKeys(m Figures) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// breakdowns lists the report's public breakdowns. A breakdown whose cells
// add up to a figure shown elsewhere names it as its total: only there can
// a lone hidden cell be found by subtraction. Incidents and staff powers
// are the secretariat's own acts and are not suppressed.
func (r *TransparencyReport) breakdowns() []breakdown {
	var out []breakdown
	if m := r.Membership; m != nil {
		out = append(out, breakdown{path: "membership.orgs_by_kind", cells: m.OrgsByKind},
			breakdown{path: "membership.orgs_by_size", cells: m.OrgsBySize, total: m.OrgsByKind["platform"], totalPath: "membership.orgs_by_kind.platform"})
	}
	if s := r.Submissions; s != nil {
		for _, b := range []struct {
			name      string
			cells     Figures
			partition bool
		}{{"by_type", s.ByType, true}, {"by_label", s.ByLabel, false}, {"by_basis", s.ByBasis, true}, {"by_distribution", s.ByDistribution, true},
			{"by_tlp", s.ByTLP, true}, {"by_entity_list", s.ByEntityList, false}, {"by_entity_ideology", s.ByEntityIdeology, false}} {
			bd := breakdown{path: "submissions." + b.name, cells: b.cells}
			if b.partition {
				bd.total, bd.totalPath = s.Added, "submissions.added"
			}
			out = append(out, bd)
		}
	}
	if f := r.Feedback; f != nil {
		out = append(out, breakdown{path: "feedback.by_verdict", cells: f.ByVerdict})
	}
	if d := r.Disputes; d != nil {
		out = append(out, breakdown{path: "disputes.by_resolution", cells: d.ByResolution, total: d.Resolved, totalPath: "disputes.resolved"})
	}
	for _, a := range []struct {
		path string
		f    *AlertFigures
	}{{"alerts", r.Alerts}, {"alerts_received", r.AlertsReceived}} {
		if a.f == nil {
			continue
		}
		out = append(out,
			breakdown{path: a.path + ".by_kind", cells: a.f.ByKind, total: a.f.Sent, totalPath: a.path + ".sent"},
			breakdown{path: a.path + ".by_tier", cells: a.f.ByTier, total: a.f.ByKind[string(AlertReferral)], totalPath: a.path + ".by_kind.referral"},
			breakdown{path: a.path + ".by_sender_kind", cells: a.f.BySenderKind, total: a.f.Sent, totalPath: a.path + ".sent"},
			breakdown{path: a.path + ".responses", cells: a.f.Responses})
	}
	return out
}

// lonelyFigures are single figures that describe few orgs' behaviour when
// few orgs are behind them (a median of one platform's response times).
func (r *TransparencyReport) lonelyFigures() map[string]*Figure {
	out := map[string]*Figure{}
	if d := r.Disputes; d != nil {
		out["disputes.median_resolution_seconds"] = d.MedianResolutionSeconds
	}
	if a := r.Alerts; a != nil {
		out["alerts.median_response_seconds"] = a.MedianResponseSeconds
		out["alerts.p90_response_seconds"] = a.P90ResponseSeconds
		out["alerts.removal_orders.received"] = a.RemovalOrders.Received
		out["alerts.removal_orders.met_within_hour"] = a.RemovalOrders.MetWithinHour
	}
	return out
}

// hideShares hides each share that would give a hidden figure away: a
// share whose numerator is hidden, or whose denominator is the sum of a
// breakdown with a hidden cell (share and numerator would give the sum,
// and the sum the hidden cell). Per-sender shares never leave staff.
func (r *TransparencyReport) hideShares() {
	hide := func(path string, s *Share) {
		if !s.Hidden {
			s.Hidden = true
			r.Suppressed = append(r.Suppressed, path)
		}
	}
	anyHidden := func(m Figures) bool {
		for _, f := range m {
			if f != nil && f.Hidden {
				return true
			}
		}
		return false
	}
	if f := r.Feedback; f != nil && anyHidden(f.ByVerdict) {
		hide("feedback.false_positive_share", &f.FalsePositiveShare)
	}
	for _, a := range []struct {
		path string
		f    *AlertFigures
	}{{"alerts", r.Alerts}, {"alerts_received", r.AlertsReceived}} {
		if a.f == nil {
			continue
		}
		if anyHidden(a.f.Responses) {
			hide(a.path+".no_violation_share", &a.f.NoViolationShare)
		}
		for k, v := range a.f.NoViolationShareBySenderKind {
			if f := a.f.BySenderKind[k]; f == nil || f.Hidden {
				hide(a.path+".no_violation_share_by_sender_kind."+k, &v)
				a.f.NoViolationShareBySenderKind[k] = v
			}
		}
		a.f.NoViolationShareBySender = nil
	}
}

// MarshalReport is the one JSON form of a report: what the API answers,
// what `ksp report transparency --format json` prints and what publishing
// freezes.
func MarshalReport(r *TransparencyReport) ([]byte, error) {
	if r.Suppressed == nil {
		r.Suppressed = []string{}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal transparency report: %w", err)
	}
	return append(b, '\n'), nil
}

// Median and Percentile return the p-th percentile (nearest rank) of
// sorted values, 0 for none.
func Percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}
