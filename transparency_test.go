package ksp

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestParseCalendarPeriod(t *testing.T) {
	tests := []struct {
		in, from, to string
		ok           bool
	}{
		{"2025", "2025-01-01", "2025-12-31", true},
		{"2024-Q1", "2024-01-01", "2024-03-31", true},
		{"2024-Q4", "2024-10-01", "2024-12-31", true},
		{"2025-Q5", "", "", false},
		{"25", "", "", false},
		{"2025-q1", "", "", false},
		{"1999", "", "", false},
		{"2025-01", "", "", false},
	}
	for _, tt := range tests {
		p, err := ParseCalendarPeriod(tt.in)
		if (err == nil) != tt.ok || p.From != tt.from || p.To != tt.to {
			t.Errorf("%q: got %+v, %v", tt.in, p, err)
		}
		if tt.ok && p.Label != tt.in {
			t.Errorf("%q: label %q", tt.in, p.Label)
		}
	}
}

func TestParsePeriodDays(t *testing.T) {
	tests := []struct {
		from, to, label string
		field           string
	}{
		{"2025-04-01", "2025-06-30", "2025-Q2", ""},
		{"2025-01-01", "2025-12-31", "2025", ""},
		{"2025-01-02", "2025-12-31", "", ""},
		{"1990-01-01", "2099-12-31", "", ""},
		{"2025-02-30", "2025-03-01", "", "from"},
		{"2025-03-01", "2025-02-01", "", "to"},
		{"", "2025-02-01", "", "from"},
		{"2025-03-01", "x", "", "to"},
	}
	for _, tt := range tests {
		p, err := ParsePeriodDays(tt.from, tt.to)
		if tt.field != "" {
			var e *Error
			if err == nil || !asError(err, &e) || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Errorf("%s..%s: got %v, want an error on %s", tt.from, tt.to, err, tt.field)
			}
			continue
		}
		if err != nil || p.Label != tt.label {
			t.Errorf("%s..%s: got %+v, %v", tt.from, tt.to, p, err)
		}
	}
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

// TestSuppressComplement checks the complementary cell is the smallest
// other non-zero one, and that the total goes when there is none.
func TestSuppressComplement(t *testing.T) {
	r := &TransparencyReport{
		Alerts: &AlertFigures{Sent: Fig(10, 7),
			ByKind:       Figures{"referral": Fig(5, 3), "dsa_order": Fig(4, 3), "tco_removal_order": Fig(1, 1)},
			BySenderKind: Figures{"platform": Fig(10, 7), "academia": Fig(0, 0)},
			ByTier:       Figures{}, Responses: Figures{"removed": Fig(2, 2), "no_violation": Fig(3, 3)},
			NoViolationShare: Share{V: 0.6}, NoViolationShareBySender: map[string]Share{"x": {V: 1}}},
		Disputes: &DisputeFigures{Resolved: Fig(2, 4), ByResolution: Figures{"upheld": Fig(2, 2), "removed": Fig(0, 0)}},
	}
	r.Suppress()
	want := []string{"alerts.by_kind.dsa_order", "alerts.by_kind.tco_removal_order", "alerts.no_violation_share",
		"alerts.responses.removed", "disputes.by_resolution.upheld", "disputes.resolved"}
	if !slices.Equal(r.Suppressed, want) {
		t.Fatalf("suppressed %v, want %v", r.Suppressed, want)
	}
	b, err := MarshalReport(r)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Alerts map[string]json.RawMessage `json:"alerts"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if string(v.Alerts["sent"]) != "10" || v.Alerts["no_violation_share_by_sender"] != nil {
		t.Errorf("alerts: %s", b)
	}
	// A hidden figure reads back as nil.
	var back TransparencyReport
	if err := json.Unmarshal(b, &back); err != nil || back.Alerts.ByKind["dsa_order"] != nil || back.Alerts.ByKind["referral"].N != 5 {
		t.Errorf("round trip: %v %+v", err, back.Alerts.ByKind)
	}
}

func TestPercentile(t *testing.T) {
	v := []int64{60, 600, 1200, 1800, 1800, 3600, 7200, 7200}
	if Percentile(v, 50) != 1800 || Percentile(v, 90) != 7200 || Percentile([]int64{5}, 90) != 5 || Percentile(nil, 50) != 0 {
		t.Error("percentile")
	}
}
