package ksp

import (
	"fmt"
	"testing"
)

// TestCanSee enumerates every distribution × TLP × viewer kind and checks
// the rule of DESIGN.md, including which pairs are allowed at all.
func TestCanSee(t *testing.T) {
	const owner, aud, other, susp = "00000000-0000-7000-8000-00000000000a", "00000000-0000-7000-8000-00000000000b", "00000000-0000-7000-8000-00000000000c", "00000000-0000-7000-8000-00000000000d"
	viewers := []struct {
		name string
		v    Viewer
	}{
		{"staff", Viewer{OrgID: StaffOrgID, Staff: true}},
		{"owner", Viewer{OrgID: owner}},
		{"audience member", Viewer{OrgID: aud}},
		{"other member", Viewer{OrgID: other}},
		{"suspended org", Viewer{OrgID: susp, Suspended: true}},
		{"suspended owner", Viewer{OrgID: owner, Suspended: true}},
		{"anonymous", Viewer{}},
	}
	// want[viewer][distribution]: the rule, independent of TLP.
	want := map[string]map[Distribution]bool{
		"staff":           {DistOwner: true, DistAudience: true, DistMembers: true, DistPublic: true},
		"owner":           {DistOwner: true, DistAudience: true, DistMembers: true, DistPublic: true},
		"audience member": {DistOwner: false, DistAudience: true, DistMembers: true, DistPublic: true},
		"other member":    {DistOwner: false, DistAudience: false, DistMembers: true, DistPublic: true},
		"suspended org":   {DistOwner: false, DistAudience: false, DistMembers: false, DistPublic: true},
		"suspended owner": {DistOwner: false, DistAudience: false, DistMembers: false, DistPublic: true},
		"anonymous":       {DistOwner: false, DistAudience: false, DistMembers: false, DistPublic: true},
	}
	allowed := map[Distribution]map[TLP]bool{
		DistOwner:    {TLPClear: true, TLPGreen: true, TLPAmber: true, TLPAmberStrict: true, TLPRed: true},
		DistAudience: {TLPClear: true, TLPGreen: true, TLPAmber: true, TLPAmberStrict: true, TLPRed: true},
		DistMembers:  {TLPClear: true, TLPGreen: true, TLPAmber: true, TLPAmberStrict: true, TLPRed: false},
		DistPublic:   {TLPClear: true},
	}
	for _, d := range Distributions {
		for _, tlp := range TLPs {
			s := Sharing{OwnerOrgID: owner, Distribution: d, TLP: tlp}
			if d == DistAudience {
				s.Audience = []string{aud}
			}
			t.Run(fmt.Sprintf("%s/%s", d, tlp), func(t *testing.T) {
				var f Fields
				ValidateSharing(s, true, &f)
				if ok := f.Err() == nil; ok != allowed[d][tlp] {
					t.Fatalf("ValidateSharing allowed=%v, want %v (%v)", ok, allowed[d][tlp], f.Err())
				}
				for _, vw := range viewers {
					if got := CanSee(vw.v, s); got != want[vw.name][d] {
						t.Errorf("CanSee(%s) = %v, want %v", vw.name, got, want[vw.name][d])
					}
				}
			})
		}
	}
}

func TestValidateSharingNeverPublic(t *testing.T) {
	var f Fields
	ValidateSharing(Sharing{Distribution: DistPublic, TLP: TLPClear}, false, &f)
	if f.Err() == nil || f[0].Field != "distribution" {
		t.Fatalf("public signal accepted: %v", f)
	}
	for _, tc := range []struct {
		name  string
		s     Sharing
		field string
	}{
		{"unknown distribution", Sharing{Distribution: "everyone", TLP: TLPGreen}, "distribution"},
		{"unknown tlp", Sharing{Distribution: DistMembers, TLP: "WHITE"}, "tlp"},
		{"audience without orgs", Sharing{Distribution: DistAudience, TLP: TLPAmber}, "audience"},
		{"audience with members", Sharing{Distribution: DistMembers, TLP: TLPGreen, Audience: []string{StaffOrgID}}, "audience"},
		{"bad audience id", Sharing{Distribution: DistAudience, TLP: TLPGreen, Audience: []string{"x"}}, "audience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f Fields
			ValidateSharing(tc.s, true, &f)
			if len(f) == 0 || f[0].Field != tc.field {
				t.Fatalf("got %v, want an error on %s", f, tc.field)
			}
		})
	}
}

func TestMayLeave(t *testing.T) {
	const owner, aud, other = "00000000-0000-7000-8000-00000000000a", "00000000-0000-7000-8000-00000000000b", "00000000-0000-7000-8000-00000000000c"
	tests := []struct {
		s    Sharing
		to   string
		want bool
	}{
		{Sharing{OwnerOrgID: owner, Distribution: DistMembers, TLP: TLPRed}, other, false},
		{Sharing{OwnerOrgID: owner, Distribution: DistAudience, Audience: []string{aud}, TLP: TLPRed}, aud, false},
		{Sharing{OwnerOrgID: owner, Distribution: DistMembers, TLP: TLPAmberStrict}, other, false},
		{Sharing{OwnerOrgID: owner, Distribution: DistAudience, Audience: []string{aud}, TLP: TLPAmber}, aud, true},
		{Sharing{OwnerOrgID: owner, Distribution: DistAudience, Audience: []string{aud}, TLP: TLPAmber}, other, false},
		{Sharing{OwnerOrgID: owner, Distribution: DistMembers, TLP: TLPAmber}, "", false},
		{Sharing{OwnerOrgID: owner, Distribution: DistMembers, TLP: TLPGreen}, "", true},
		{Sharing{OwnerOrgID: owner, Distribution: DistOwner, TLP: TLPGreen}, other, false},
		{Sharing{OwnerOrgID: owner, Distribution: DistPublic, TLP: TLPClear}, "", true},
	}
	for i, tt := range tests {
		if got := MayLeave(tt.s, tt.to); got != tt.want {
			t.Errorf("%d: MayLeave(%+v, %q) = %v, want %v", i, tt.s, tt.to, got, tt.want)
		}
	}
}

func TestCanonicalJSON(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{map[string]any{"b": int64(1), "a": "x"}, `{"a":"x","b":1}`},
		{map[string]any{"\u20ac": 1, "\r": 2, "1": 3}, `{"\r":2,"1":3,"€":1}`},
		{"<>&\u2028\x01\"\\\n", "\"<>&\u2028\\u0001\\\"\\\\\\n\""},
		{[]any{nil, true, false, []string{"a"}}, `[null,true,false,["a"]]`},
		{float64(12), `12`},
	}
	for _, tt := range tests {
		got, err := CanonicalJSON(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("CanonicalJSON(%v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if _, err := CanonicalJSON(int64(1) << 53); err == nil {
		t.Error("CanonicalJSON accepted an integer a double cannot hold")
	}
}

func TestNewIDSorts(t *testing.T) {
	prev := NewID()
	for i := 0; i < 10000; i++ {
		id := NewID()
		if !ValidID(id) || id <= prev {
			t.Fatalf("id %s after %s: not valid or not increasing", id, prev)
		}
		prev = id
	}
}

func TestAPIKeyShape(t *testing.T) {
	k := GenerateAPIKey()
	if !WellFormedAPIKey(k) {
		t.Fatalf("generated key %q is not well formed", k)
	}
	for _, bad := range []string{"", "ksp_short", "xsp_" + k[4:], k[:43] + "!"} {
		if WellFormedAPIKey(bad) {
			t.Errorf("WellFormedAPIKey(%q) = true", bad)
		}
	}
}
