package ksp

import "testing"

func TestCasePriority(t *testing.T) {
	tests := []struct {
		name    string
		matches []*CaseMatch
		want    int
	}{
		{"none visible", nil, 0},
		{"low, no confidence", []*CaseMatch{{Severity: "low"}}, 1},
		{"unknown severity clamps to 1", []*CaseMatch{{Severity: ""}}, 1},
		{"medium half", []*CaseMatch{{Severity: "medium", Confidence: 0.5}}, 5},
		{"high full", []*CaseMatch{{Severity: "high", Confidence: 1}}, 8},
		{"crisis full is 10", []*CaseMatch{{Severity: "crisis", Confidence: 1}}, 10},
		{"strongest decides, not highest confidence", []*CaseMatch{{Severity: "low", Confidence: 1}, {Severity: "high", Confidence: 0.1}}, 5},
		{"ties by confidence", []*CaseMatch{{Severity: "high", Confidence: 0.2}, {Severity: "high", Confidence: 0.9}}, 8},
	}
	for _, tc := range tests {
		if got := CasePriority(tc.matches); got != tc.want {
			t.Errorf("%s: priority %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestDecisionVerdict(t *testing.T) {
	for d, want := range map[string]string{DecisionRemove: VerdictTruePositive, DecisionRestrict: VerdictTruePositive, DecisionKeep: VerdictFalsePositive, DecisionEscalate: ""} {
		if got := DecisionVerdict(d); got != want {
			t.Errorf("%s: verdict %q, want %q", d, got, want)
		}
	}
}
