package unsc

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp/internal/sharedtest"
)

// snapshot opens one of the shared UN snapshots: $KSP_SHARED, else shared/
// beside the module root. Missing data skips the test, or fails it under
// CI=true, where the data is part of the checkout.
func snapshot(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join(sharedtest.Dir(t, "unsc"), "testdata", "unsc", name))
	if err != nil {
		t.Fatalf("shared UN snapshot: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestSnapshots(t *testing.T) {
	tests := []struct {
		file                  string
		generated             time.Time
		individuals, entities int
		regimes               int
		known                 map[string]Entry // by reference number
	}{
		{
			file:        "consolidated-2017-07-03.xml",
			generated:   time.Date(2017, 7, 4, 0, 27, 45, 483e6, time.UTC),
			individuals: 650, entities: 371, regimes: 13, // Iran, not yet Haiti
			known: map[string]Entry{
				// FIRST_NAME is " RI " and THIRD_NAME is empty: trimmed and skipped.
				"KPi.033": {DataID: "6908555", Kind: KindIndividual, Name: "RI WON HO", Regime: "DPRK",
					ReferenceNumber: "KPi.033", ListedOn: "2016-11-30",
					Comments:      "Ri Won Ho is a DPRK Ministry of State Security Official stationed in Syria supporting KOMID.",
					Nationalities: []string{"Democratic People's Republic of Korea"}},
			},
		},
		{
			file:        "consolidated-2024-09-26.xml",
			generated:   time.Date(2024, 9, 26, 0, 0, 7, 514e6, time.UTC),
			individuals: 682, entities: 193, regimes: 13,
			known: map[string]Entry{
				"TAi.005": {DataID: "110447", Kind: KindIndividual, Name: "MUHAMMAD TAHER ANWARI",
					NameOriginalScript: "محمد طاهر أنوري", Regime: "Taliban", ReferenceNumber: "TAi.005", ListedOn: "2001-02-23",
					Aliases: []Alias{{"Good", "Mohammad Taher Anwari"}, {"Good", "Muhammad Tahir Anwari"},
						{"Good", "Mohammad Tahre Anwari"}, {"Low", "Haji Mudir"}},
					Nationalities: []string{"Afghanistan"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			l, err := Parse(snapshot(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !l.Generated.Equal(tt.generated) {
				t.Errorf("Generated = %v, want %v", l.Generated, tt.generated)
			}
			if l.Individuals != tt.individuals || l.Entities != tt.entities || len(l.Entries) != tt.individuals+tt.entities {
				t.Errorf("individuals=%d entities=%d entries=%d, want %d %d", l.Individuals, l.Entities, len(l.Entries), tt.individuals, tt.entities)
			}
			regimes := map[string]bool{}
			var ents, inds int
			for _, e := range l.Entries {
				regimes[e.Regime] = true
				if e.DataID == "" || e.Name == "" || e.ReferenceNumber == "" {
					t.Errorf("entry %+v lacks DATAID, name or reference", e)
				}
				if e.Name != strings.TrimSpace(e.Name) {
					t.Errorf("name %q not trimmed", e.Name)
				}
				for _, a := range e.Aliases {
					if a.Name == "" {
						t.Errorf("%s: empty alias kept", e.ReferenceNumber)
					}
				}
				if e.Kind == KindEntity {
					ents++
				} else {
					inds++
				}
				if want, ok := tt.known[e.ReferenceNumber]; ok {
					got := e
					if !strings.HasPrefix(got.Comments, want.Comments) {
						t.Errorf("%s comments = %q, want prefix %q", e.ReferenceNumber, got.Comments, want.Comments)
					}
					got.Comments, want.Comments = "", ""
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s =\n%+v\nwant\n%+v", e.ReferenceNumber, got, want)
					}
					delete(tt.known, e.ReferenceNumber)
				}
			}
			if ents != tt.entities || inds != tt.individuals {
				t.Errorf("kinds: %d entities %d individuals", ents, inds)
			}
			if len(regimes) != tt.regimes {
				t.Errorf("%d regimes %v, want %d", len(regimes), regimes, tt.regimes)
			}
			for ref := range tt.known {
				t.Errorf("%s not found", ref)
			}
		})
	}
}

// TestQDe115 checks an entity of both files: entity name from FIRST_NAME,
// ENTITY_ALIAS qualities, original script.
func TestQDe115(t *testing.T) {
	l, err := Parse(snapshot(t, "consolidated-2024-09-26.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Entries {
		if e.ReferenceNumber != "QDe.115" {
			continue
		}
		if e.DataID != "113966" || e.Kind != KindEntity || e.Name != "AL-QAIDA IN IRAQ" || e.NameOriginalScript != "القاعده في العراق" || e.Regime != "Al-Qaida" || e.ListedOn != "2004-10-18" {
			t.Errorf("QDe.115 = %+v", e)
		}
		if len(e.Aliases) != 16 || e.Aliases[0] != (Alias{"a.k.a.", "AQI"}) {
			t.Errorf("aliases = %v", e.Aliases)
		}
		return
	}
	t.Error("QDe.115 not found")
}

func TestSmallDocuments(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>`
	tests := []struct {
		name    string
		xml     string
		wantErr string // substring; "" means success
		notList bool   // the error wraps ErrNotConsolidatedList
		entries []Entry
	}{
		{name: "foreign root", xml: head + `<rss version="2.0"><channel/></rss>`, wantErr: "not a consolidated list", notList: true},
		{name: "empty", xml: "", wantErr: "not a consolidated list", notList: true},
		{name: "broken", xml: head + `<CONSOLIDATED_LIST dateGenerated="2024-01-01T00:00:00Z"><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>`, wantErr: "unexpected EOF"},
		{name: "mismatched tags", xml: `<CONSOLIDATED_LIST dateGenerated="2024-01-01T00:00:00Z"><INDIVIDUALS></ENTITIES></CONSOLIDATED_LIST>`, wantErr: "unsc:"},
		{name: "no dateGenerated", xml: `<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>`, wantErr: "dateGenerated"},
		{name: "bad dateGenerated", xml: `<CONSOLIDATED_LIST dateGenerated="yesterday"/>`, wantErr: "dateGenerated"},
		{name: "no DATAID", xml: `<CONSOLIDATED_LIST dateGenerated="2024-01-01"><ENTITIES><ENTITY><FIRST_NAME>X</FIRST_NAME></ENTITY></ENTITIES></CONSOLIDATED_LIST>`, wantErr: "no DATAID"},
		{name: "duplicate DATAID", xml: `<CONSOLIDATED_LIST dateGenerated="2024-01-01"><ENTITIES><ENTITY><DATAID>7</DATAID></ENTITY><ENTITY><DATAID>7</DATAID></ENTITY></ENTITIES></CONSOLIDATED_LIST>`, wantErr: "appears twice"},
		{name: "nested too deep", xml: `<CONSOLIDATED_LIST dateGenerated="2024-01-01"><ENTITIES><ENTITY>` + strings.Repeat("<A>", 100000) + strings.Repeat("</A>", 100000) + `</ENTITY></ENTITIES></CONSOLIDATED_LIST>`, wantErr: "nested more than"},
		{name: "deep unknown element skipped", xml: `<CONSOLIDATED_LIST dateGenerated="2024-01-01"><X>` + strings.Repeat("<A>", 1000) + strings.Repeat("</A>", 1000) + `</X></CONSOLIDATED_LIST>`},
		{
			name: "white space tidied",
			xml: "<CONSOLIDATED_LIST dateGenerated='2024-01-01'><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME> CHO  </FIRST_NAME><SECOND_NAME>CHUN\n\t RYONG </SECOND_NAME>" +
				"<COMMENTS1>\n  Review  concluded\n      on 25 May 2010. \n\n\n Link:x </COMMENTS1><INDIVIDUAL_ALIAS><QUALITY> Good </QUALITY><ALIAS_NAME>Cho\n Chun</ALIAS_NAME></INDIVIDUAL_ALIAS></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
			entries: []Entry{{DataID: "1", Kind: KindIndividual, Name: "CHO CHUN RYONG", Comments: "Review concluded\non 25 May 2010.\nLink:x", Aliases: []Alias{{"Good", "Cho Chun"}}}},
		},
		{name: "empty list", xml: `<CONSOLIDATED_LIST dateGenerated="2024-01-01T00:00:00Z"/>`},
		{
			name: "missing and unknown elements",
			xml: `<CONSOLIDATED_LIST dateGenerated="2024-01-01T00:00:00+02:00"><NEWS>x<B/></NEWS>
<INDIVIDUALS><INDIVIDUAL><NEW_FIELD><A>1</A></NEW_FIELD><DATAID> 42 </DATAID><SECOND_NAME> B </SECOND_NAME>
<INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS><INDIVIDUAL_ALIAS><ALIAS_NAME> Bee </ALIAS_NAME></INDIVIDUAL_ALIAS></INDIVIDUAL><OTHER/></INDIVIDUALS>
<ENTITIES><ENTITY><DATAID>43</DATAID><FIRST_NAME>GROUP</FIRST_NAME><SECOND_NAME>ignored</SECOND_NAME><NATIONALITY><VALUE/><VALUE>X</VALUE></NATIONALITY></ENTITY></ENTITIES></CONSOLIDATED_LIST>`,
			entries: []Entry{
				{DataID: "42", Kind: KindIndividual, Name: "B", Aliases: []Alias{{"", "Bee"}}},
				{DataID: "43", Kind: KindEntity, Name: "GROUP", Nationalities: []string{"X"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse(strings.NewReader(tt.xml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if got := errors.Is(err, ErrNotConsolidatedList); got != tt.notList {
					t.Errorf("errors.Is(ErrNotConsolidatedList) = %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(l.Entries, tt.entries) {
				t.Errorf("entries =\n%+v\nwant\n%+v", l.Entries, tt.entries)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-09-26T00:00:07.514Z", time.Date(2024, 9, 26, 0, 0, 7, 514e6, time.UTC), true},
		{"2017-07-03T20:27:45.483-04:00", time.Date(2017, 7, 4, 0, 27, 45, 483e6, time.UTC), true},
		{"2020-01-02T03:04:05", time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), true},
		{"2020-01-02", time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), true},
		{"02/01/2020", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v", tt.in, got, err)
		}
	}
}
