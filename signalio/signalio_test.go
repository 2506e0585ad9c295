package signalio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
)

type got struct {
	line  int
	value string
	field string
}

func drain(t *testing.T, next Next) []got {
	t.Helper()
	var out []got
	for {
		line, in, err := next()
		if err == io.EOF {
			return out
		}
		var ke *ksp.Error
		switch {
		case errors.As(err, &ke):
			out = append(out, got{line: line, field: ke.Fields[0].Field})
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, got{line: line, value: in.Value})
		}
	}
}

func TestCSV(t *testing.T) {
	src := "Type,VALUE,content_type,labels,quality,basis_reason,confidence\n" +
		"pdq,aa,photo,propaganda|recruitment,90,\"a reason\nover two lines\",0.5\n" +
		"\n" +
		"md5,bb,photo,propaganda,ninety,x,\n" +
		"url,https://x.example/,url,propaganda,,\"unterminated\n"
	next, err := CSV(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []got{{line: 2, value: "aa"}, {line: 5, field: "quality"}, {line: 6, field: "line"}}
	if g := drain(t, next); len(g) != len(want) || g[0] != want[0] || g[1] != want[1] || g[2].line != want[2].line || g[2].field != want[2].field {
		t.Fatalf("got %+v, want %+v", g, want)
	}
	for _, tc := range []struct{ header, want string }{
		{"", "line 1: empty file"},
		{"type,value,colour\n", `line 1: unknown column "colour"`},
		{"type,value,content_type\n", `line 1: required column "labels" missing`},
		{"type,type,value,content_type,labels\n", `line 1: column "type" appears twice`},
	} {
		if _, err := CSV(strings.NewReader(tc.header)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("header %q: %v, want %q", tc.header, err, tc.want)
		}
	}
}

func TestNDJSON(t *testing.T) {
	src := `{"type":"pdq","value":"aa","content_type":"photo","labels":["propaganda"]}` + "\n\n" +
		`{"type":"pdq","value":7}` + "\n" +
		`{"type":"pdq","colour":"red"}` + "\n" +
		`{"type":` + "\n" +
		`{"type":"md5","value":"bb"} {"x":1}` + "\n"
	g := drain(t, NDJSON(strings.NewReader(src)))
	want := []got{{line: 1, value: "aa"}, {line: 3, field: "value"}, {line: 4, field: "colour"}, {line: 5, field: "line"}, {line: 6, field: "line"}}
	if len(g) != len(want) {
		t.Fatalf("got %+v", g)
	}
	for i := range want {
		if g[i] != want[i] {
			t.Errorf("record %d: got %+v, want %+v", i, g[i], want[i])
		}
	}
}

// TestExportImportsAgain: a CSV export is a valid import.
func TestExportImportsAgain(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "csv")
	if err != nil {
		t.Fatal(err)
	}
	q := 90
	sig := &ksp.Signal{ID: ksp.NewID(), Type: "pdq", Value: strings.Repeat("ab", 32), Quality: &q, ContentTypes: []string{"photo"}, Labels: []string{"propaganda", "recruitment"},
		Flags: []string{"graphic"}, Severity: "high", TLP: ksp.TLPGreen, Submissions: 2, Confidence: 0.75, Status: "active", Actionable: true}
	if err := w.Write(Record(sig, ksp.DistMembers)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	next, err := CSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	line, in, err := next()
	if err != nil || line != 2 || in.Value != sig.Value || *in.Quality != 90 || strings.Join(in.Labels, "|") != "propaganda|recruitment" || in.Distribution != ksp.DistMembers {
		t.Fatalf("re-read: line %d %+v %v", line, in, err)
	}
	var f ksp.Fields
	in.Normalize(&f)
	if f.Err() != nil {
		t.Fatalf("exported record does not validate: %v", f.Err())
	}
	if in.Basis != ksp.BasisOther || in.BasisReason != "exported from the hash bank as signal "+sig.ID {
		t.Fatalf("basis %q %q, want other with the signal's origin", in.Basis, in.BasisReason)
	}
	if _, err := NewWriter(&buf, "xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}
