// Package signalio reads and writes the bulk formats of the hash bank: CSV
// whose header names the columns, and NDJSON with the same names (API.md
// "Signals"). Readers report problems by line and field; line 1 of a CSV
// file is its header.
package signalio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// Next returns the next record and its line, io.EOF at the end, or an
// EINVALID *ksp.Error for a record that cannot be read (the reader goes on
// with the next one).
type Next func() (int, *ksp.SubmissionInput, error)

// Columns are the bulk columns a reader understands.
var Columns = []string{"type", "value", "quality", "content_type", "labels", "basis", "entity_id", "severity", "flags", "distribution", "tlp", "audience", "incident_id", "basis_reason", "policy_version"}

// exportOnly are columns that exports add; readers ignore them so that an
// export can be imported again.
var exportOnly = []string{"signal_id", "submissions", "confidence", "status", "actionable", "first_seen", "last_seen"}

var required = []string{"type", "value", "content_type", "labels"}

func bad(field, reason string) error {
	return &ksp.Error{Code: ksp.EINVALID, Message: field + ": " + reason, Fields: []ksp.FieldError{{Field: field, Reason: reason}}}
}

// NDJSON reads one JSON object per line; blank lines are skipped.
func NDJSON(r io.Reader) Next {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	return func() (int, *ksp.SubmissionInput, error) {
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			var in ksp.SubmissionInput
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				return line, nil, jsonErr(err)
			}
			if dec.More() {
				return line, nil, bad("line", "more than one JSON value on the line")
			}
			return line, &in, nil
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return line + 1, nil, fmt.Errorf("line %d: longer than 1 MiB", line+1)
			}
			return line, nil, err
		}
		return line, nil, io.EOF
	}
}

func jsonErr(err error) error {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		return bad(typ.Field, "wrong type: "+typ.Value)
	case errors.As(err, &syn):
		return bad("line", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return bad(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
	}
	var ke *ksp.Error
	if errors.As(err, &ke) {
		return ke
	}
	return bad("line", "malformed JSON: "+err.Error())
}

// CSV reads a CSV file whose first line names the columns. A header
// problem is returned at once, as an error naming line 1.
func CSV(r io.Reader) (Next, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("line 1: empty file: a header naming the columns is required")
		}
		return nil, fmt.Errorf("line 1: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case slices.Contains(exportOnly, h):
			continue
		case !slices.Contains(Columns, h):
			return nil, fmt.Errorf("line 1: unknown column %q (known: %s)", h, strings.Join(Columns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("line 1: column %q appears twice", h)
		}
		col[h] = i
	}
	for _, req := range required {
		if _, ok := col[req]; !ok {
			return nil, fmt.Errorf("line 1: required column %q missing", req)
		}
	}
	return func() (int, *ksp.SubmissionInput, error) {
		for {
			rec, err := cr.Read()
			line, _ := cr.FieldPos(0)
			if err == io.EOF {
				return line, nil, io.EOF
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return pe.StartLine, nil, bad("line", pe.Err.Error())
				}
				return line, nil, err
			}
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue
			}
			get := func(name string) string {
				if i, ok := col[name]; ok && i < len(rec) {
					return strings.TrimSpace(rec[i])
				}
				return ""
			}
			list := func(name string) []string {
				v := get(name)
				if v == "" {
					return nil
				}
				return strings.Split(v, "|")
			}
			in := &ksp.SubmissionInput{Type: get("type"), Value: get("value"), ContentType: get("content_type"), Labels: list("labels"),
				Basis: get("basis"), EntityID: get("entity_id"), Severity: get("severity"), Flags: list("flags"),
				Distribution: ksp.Distribution(get("distribution")), TLP: ksp.TLP(get("tlp")), Audience: list("audience"),
				IncidentID: get("incident_id"), BasisReason: get("basis_reason"), PolicyVersion: get("policy_version")}
			if q := get("quality"); q != "" {
				n, err := strconv.Atoi(q)
				if err != nil {
					return line, nil, bad("quality", "not a whole number: "+q)
				}
				in.Quality = &n
			}
			return line, in, nil
		}
	}, nil
}

// ExportColumns are the columns of a CSV export, in order.
var ExportColumns = []string{"signal_id", "type", "value", "quality", "content_type", "labels", "entity_id", "basis_reason", "severity", "flags", "distribution", "tlp", "submissions", "confidence", "status", "actionable", "first_seen", "last_seen"}

// ExportRecord is one exported signal: the bulk fields (so that an export
// can be imported again) and the computed ones. A signal has no basis of its
// own (each submission has one), so the record states where it came from as
// its basis_reason: imported again, it is in scope with basis other because
// the bank held it, or with designated_entity when it names an entity.
type ExportRecord struct {
	SignalID     string   `json:"signal_id"`
	Type         string   `json:"type"`
	Value        string   `json:"value"`
	Quality      *int     `json:"quality,omitempty"`
	ContentType  string   `json:"content_type"`
	Labels       []string `json:"labels"`
	EntityID     string   `json:"entity_id,omitempty"`
	BasisReason  string   `json:"basis_reason"`
	Severity     string   `json:"severity"`
	Flags        []string `json:"flags"`
	Distribution string   `json:"distribution"`
	TLP          ksp.TLP  `json:"tlp"`
	Submissions  int      `json:"submissions"`
	Confidence   float64  `json:"confidence"`
	Status       string   `json:"status"`
	Actionable   bool     `json:"actionable"`
	FirstSeen    ksp.Time `json:"first_seen"`
	LastSeen     ksp.Time `json:"last_seen"`
}

// Record turns a signal view into an export record. distribution is what
// an importer of the file should use: the narrowest the exporter was given.
func Record(s *ksp.Signal, distribution ksp.Distribution) ExportRecord {
	ct := ""
	if len(s.ContentTypes) > 0 {
		ct = s.ContentTypes[0]
	}
	ent := ""
	if len(s.EntityIDs) > 0 {
		ent = s.EntityIDs[0]
	}
	return ExportRecord{SignalID: s.ID, Type: s.Type, Value: s.Value, Quality: s.Quality, ContentType: ct, Labels: s.Labels, EntityID: ent,
		BasisReason: "exported from the hash bank as signal " + s.ID, Severity: s.Severity, Flags: s.Flags, Distribution: string(distribution), TLP: s.TLP, Submissions: s.Submissions, Confidence: s.Confidence,
		Status: s.Status, Actionable: s.Actionable, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen}
}

// Writer writes export records as CSV or NDJSON.
type Writer struct {
	csv    *csv.Writer
	json   *json.Encoder
	w      *bufio.Writer
	header bool
}

// NewWriter returns a writer for format "csv" or "ndjson".
func NewWriter(w io.Writer, format string) (*Writer, error) {
	bw := bufio.NewWriterSize(w, 64*1024)
	switch format {
	case "csv":
		return &Writer{csv: csv.NewWriter(bw), w: bw}, nil
	case "ndjson":
		return &Writer{json: json.NewEncoder(bw), w: bw}, nil
	}
	return nil, fmt.Errorf("unknown format %q: want csv or ndjson", format)
}

// Write writes one record.
func (w *Writer) Write(r ExportRecord) error {
	if w.json != nil {
		return w.json.Encode(r)
	}
	if !w.header {
		w.header = true
		if err := w.csv.Write(ExportColumns); err != nil {
			return err
		}
	}
	q := ""
	if r.Quality != nil {
		q = strconv.Itoa(*r.Quality)
	}
	return w.csv.Write([]string{r.SignalID, r.Type, r.Value, q, r.ContentType, strings.Join(r.Labels, "|"), r.EntityID, r.BasisReason, r.Severity, strings.Join(r.Flags, "|"),
		r.Distribution, string(r.TLP), strconv.Itoa(r.Submissions), strconv.FormatFloat(r.Confidence, 'f', 3, 64), r.Status, strconv.FormatBool(r.Actionable),
		ksp.FormatTime(r.FirstSeen.Time), ksp.FormatTime(r.LastSeen.Time)})
}

// Close flushes the output (a CSV export with no records still gets its
// header).
func (w *Writer) Close() error {
	if w.csv != nil {
		if !w.header {
			w.header = true
			if err := w.csv.Write(ExportColumns); err != nil {
				return err
			}
		}
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return err
		}
	}
	return w.w.Flush()
}
