package signalio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

// got is one outcome of a reader: a record (value, absent fields, foreign)
// or the fields of a rejected record.
type got struct {
	line    int
	value   string
	absent  string
	foreign bool
	fields  string
}

// drain reads to the end or to a parse error.
func drain(t *testing.T, next Next) ([]got, *ParseError) {
	t.Helper()
	var out []got
	for {
		line, in, err := next()
		var ke *ksp.Error
		var pe *ParseError
		switch {
		case err == io.EOF:
			return out, nil
		case errors.As(err, &pe):
			return out, pe
		case errors.As(err, &ke):
			var f []string
			for _, fe := range ke.Fields {
				f = append(f, fe.Field)
			}
			out = append(out, got{line: line, fields: strings.Join(f, ",")})
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, got{line: line, value: in.Value, absent: strings.Join(in.Bulk.Absent, ","), foreign: in.Bulk.Foreign})
		}
	}
}

const absentUsual = "incident_id,basis_reason,audience,policy_version"

func TestCSV(t *testing.T) {
	aa, bb := strings.Repeat("aa", 32), strings.Repeat("bb", 32)
	for _, tc := range []struct {
		name, src string
		want      []got
		parse     string // wanted *ParseError, "" for none
	}{
		{"records, a bad one, a blank line, a multi-line field",
			"Type,VALUE,content_type,labels,quality,basis_reason,confidence\n" +
				"pdq," + aa + ",photo,propaganda|recruitment,90,\"a reason\nover two lines\",0.5\n" +
				"\n" +
				"md5,bb,photo,propaganda,ninety,x,\n",
			[]got{{line: 2, value: aa, absent: "basis,entity_id,incident_id,severity,flags,distribution,audience,tlp,policy_version"}, {line: 5, fields: "quality"}}, ""},
		{"own and value_redacted",
			"type,value,quality,content_type,labels,basis,entity_id,severity,flags,distribution,tlp,own,value_redacted\n" +
				"pdq," + aa + ",,photo,propaganda,,,,,,,true,false\n" +
				"pdq," + bb + ",,photo,propaganda,,,,,,,false,true\n" +
				"url,https://x.example/…,,url,propaganda,,,,,,,,true\n" +
				"url,https://x.example/%E2%80%A6,,url,propaganda,,,,,,,,\n" +
				"url,https://x.example/a…b,,url,propaganda,,,,,,,,\n" +
				"pdq," + aa + ",,photo,propaganda,,,,,,,maybe,\n",
			[]got{{line: 2, value: aa, absent: absentUsual}, {line: 3, foreign: true}, {line: 4, fields: "value"}, {line: 5, fields: "value"},
				{line: 6, value: "https://x.example/a…b", absent: absentUsual}, {line: 7, fields: "own"}}, ""},
		{"an unclosed quote on the last line",
			"type,value,content_type,labels,basis_reason\n" +
				"pdq," + aa + ",photo,propaganda,x\n" +
				"pdq," + bb + ",photo,propaganda,\"unterminated\n",
			[]got{{line: 2, value: aa, absent: "quality,basis,entity_id,incident_id,severity,flags,distribution,audience,tlp,policy_version"}}, "line 3: "},
		{"a bare quote in the middle stops the file there",
			"type,value,content_type,labels\n" +
				"pdq,a\"b,photo,propaganda\n" +
				"pdq," + aa + ",photo,propaganda\n",
			nil, "line 2: "},
		{"empty file", "", nil, "line 1: empty file"},
		{"unknown column", "type,value,colour\n", nil, `line 1: unknown column "colour"`},
		{"required column missing", "type,value,content_type\n", nil, `line 1: required column "labels" missing`},
		{"column twice", "type,type,value,content_type,labels\n", nil, `line 1: column "type" appears twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next, err := CSV(strings.NewReader(tc.src))
			var pe *ParseError
			if err != nil {
				if !errors.As(err, &pe) || tc.parse == "" || !strings.HasPrefix(pe.Error(), tc.parse) {
					t.Fatalf("header: %v, want %q", err, tc.parse)
				}
				return
			}
			g, pe := drain(t, next)
			if !reflect.DeepEqual(g, tc.want) {
				t.Errorf("got  %+v\nwant %+v", g, tc.want)
			}
			switch {
			case tc.parse == "" && pe != nil:
				t.Errorf("parse error %v", pe)
			case tc.parse != "" && (pe == nil || !strings.HasPrefix(pe.Error(), tc.parse)):
				t.Errorf("parse error %v, want %q", pe, tc.parse)
			}
			if tc.parse != "" {
				// The reader stays stopped, and Check finds the same.
				if _, _, err := next(); !errors.As(err, &pe) {
					t.Errorf("after the parse error: %v", err)
				}
				next, _ := CSV(strings.NewReader(tc.src))
				if err := Check(next); !errors.As(err, &pe) || !strings.HasPrefix(pe.Error(), tc.parse) {
					t.Errorf("Check: %v", err)
				}
			}
		})
	}
}

func TestNDJSON(t *testing.T) {
	aa := strings.Repeat("aa", 32)
	all := `"quality":90,"content_type":"photo","labels":["propaganda"],"basis":"other","entity_id":"","incident_id":"","basis_reason":"x","severity":"high","flags":[],"distribution":"members","audience":[],"tlp":"GREEN","policy_version":"2026-11"`
	for _, tc := range []struct {
		name, src string
		want      []got
		parse     string
	}{
		{"records and records that cannot be used",
			`{"type":"pdq","value":"` + aa + `","content_type":"photo","labels":["propaganda"]}` + "\n\n" +
				`{"type":"pdq","value":7,"quality":"high","labels":"x"}` + "\n" +
				`{"type":"pdq","colour":"red"}` + "\n" +
				`[1,2]` + "\n" +
				`null` + "\n",
			[]got{{line: 1, value: aa, absent: "quality,basis,entity_id,incident_id,basis_reason,severity,flags,distribution,audience,tlp,policy_version"},
				{line: 3, fields: "labels,quality,value"}, {line: 4, fields: "colour"}, {line: 5, fields: "line"}, {line: 6, fields: "line"}}, ""},
		{"an export's row: every field, computed ones ignored",
			`{"signal_id":"x","own":true,"type":"pdq","value":"` + aa + `","value_redacted":false,` + all + `,"submissions":2,"confidence":0.5,"status":"active","actionable":true,"first_seen":"2026-01-01T00:00:00Z","last_seen":"x"}` + "\n" +
				`{"own":false,"type":"url","value":"https://x.example/…","value_redacted":true,"labels":7}` + "\n" +
				`{"type":"url","value":"https://x.example/…","content_type":"url","labels":["propaganda"]}` + "\n" +
				`{"own":"yes","type":"pdq"}` + "\n" +
				`{"own":null,"value_redacted":true,"type":"pdq","value":"` + aa + `",` + all + `}` + "\n",
			[]got{{line: 1, value: aa}, {line: 2, foreign: true}, {line: 3, fields: "value"}, {line: 4, fields: "own"}, {line: 5, fields: "value"}}, ""},
		{"malformed JSON refuses the input", `{"type":"pdq"}` + "\n" + `{"type":` + "\n" + `{"type":"md5"}` + "\n",
			[]got{{line: 1, absent: strings.Join(ksp.BulkFields, ",")}}, "line 2: malformed JSON"},
		{"two values on a line", `{"type":"pdq"} {"x":1}` + "\n", nil, "line 1: more than one JSON value"},
		{"a closing brace too many", `{"type":"pdq"}}` + "\n", nil, "line 1: more than one JSON value"},
		{"a line over 1 MiB", `{"type":"pdq"}` + "\n\n" + `{"basis_reason":"` + strings.Repeat("x", 1<<20) + `"}` + "\n" + `{"type":"pdq"}` + "\n",
			[]got{{line: 1, absent: strings.Join(ksp.BulkFields, ",")}}, "line 3: longer than 1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, pe := drain(t, NDJSON(strings.NewReader(tc.src)))
			if !reflect.DeepEqual(g, tc.want) {
				t.Errorf("got  %+v\nwant %+v", g, tc.want)
			}
			switch {
			case tc.parse == "" && pe != nil:
				t.Errorf("parse error %v", pe)
			case tc.parse != "" && (pe == nil || !strings.HasPrefix(pe.Error(), tc.parse)):
				t.Errorf("parse error %v, want %q", pe, tc.parse)
			}
			err := Check(NDJSON(strings.NewReader(tc.src)))
			if (tc.parse == "") != (err == nil) {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

// TestExportImportsAgain: an export, CSV or NDJSON, is a valid import
// that gives back the exporter's own submission exactly, marks other
// organisations' rows foreign and never offers a redacted value.
func TestExportImportsAgain(t *testing.T) {
	q := 77
	own := &ksp.Submission{Quality: &q, ContentType: "photo", Labels: []string{"propaganda", "recruitment"}, Basis: "other", BasisReason: "  seen, \"quoted\"\nover lines ",
		IncidentID: ksp.NewID(), Severity: "high", Flags: []string{"graphic", "official"}, Distribution: ksp.DistAudience, Audience: []string{ksp.NewID(), ksp.NewID()},
		TLP: ksp.TLPAmber, PolicyVersion: "2025-01"}
	sig := &ksp.Signal{ID: ksp.NewID(), Type: "pdq", Value: strings.Repeat("ab", 32), ContentTypes: []string{"photo", "video"}, Labels: []string{"glorification", "propaganda"},
		Severity: "crisis", TLP: ksp.TLPAmber, Submissions: 2, Confidence: 0.75, Status: "active", Actionable: true}
	pii := &ksp.Signal{ID: ksp.NewID(), Type: "url", Value: "https://x.example/…", ValueRedacted: true, ContentTypes: []string{"url"}, Labels: []string{"propaganda"}, TLP: ksp.TLPGreen}
	for _, format := range []string{"csv", "ndjson"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, format)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []ExportRecord{Record(sig, ksp.DistOwner, own), Record(sig, ksp.DistOwner, nil), Record(pii, ksp.DistMembers, own)} {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			next, err := Open(&buf, format)
			if err != nil {
				t.Fatal(err)
			}
			_, in, err := next()
			if err != nil {
				t.Fatal(err)
			}
			want := ksp.SubmissionInput{Type: sig.Type, Value: sig.Value, Quality: own.Quality, ContentType: own.ContentType, Labels: own.Labels, Basis: own.Basis,
				IncidentID: own.IncidentID, BasisReason: own.BasisReason, Severity: own.Severity, Flags: own.Flags, Distribution: own.Distribution,
				Audience: own.Audience, TLP: own.TLP, PolicyVersion: own.PolicyVersion, Bulk: &ksp.BulkInfo{}}
			if !reflect.DeepEqual(*in, want) {
				t.Errorf("own row read back as\n%+v\nwant\n%+v", *in, want)
			}
			var f ksp.Fields
			in.Normalize(&f)
			if f.Err() != nil {
				t.Errorf("own row does not validate: %v", f.Err())
			}
			for i := range 2 {
				if _, in, err := next(); err != nil || !in.Bulk.Foreign {
					t.Errorf("row %d (not own, or redacted): %+v %v", i+2, in, err)
				}
			}
			if _, _, err := next(); err != io.EOF {
				t.Errorf("after the rows: %v", err)
			}
		})
	}
	if _, err := NewWriter(io.Discard, "xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

// TestSpool: a spooled input is read again from its copy, an input with a
// parse error is refused, and the copy is removed either way.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	var src strings.Builder
	for i := range 3 {
		fmt.Fprintf(&src, `{"type":"md5","value":"%032d","content_type":"photo","labels":["propaganda"]}`+"\n", i)
	}
	s, err := Spool(strings.NewReader(src.String()), "ndjson")
	if err != nil {
		t.Fatal(err)
	}
	g, pe := drain(t, s.Next)
	if len(g) != 3 || pe != nil || g[2].value != fmt.Sprintf("%032d", 2) {
		t.Fatalf("spooled records %+v %v", g, pe)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Spool(strings.NewReader(src.String()+"{\n"), "ndjson")
	if !errors.As(err, &pe) || pe.Line != 4 {
		t.Fatalf("spool of a broken input: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "ksp-import-*")); len(left) != 0 {
		t.Fatalf("spool files left: %v", left)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("files left: %v", left)
	}
}
