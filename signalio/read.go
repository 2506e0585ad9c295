// Package signalio reads and writes the bulk formats of the hash bank: CSV
// whose header names the columns, and NDJSON with the same names (API.md
// "Signals"). Readers report problems by line and field; line 1 of a CSV
// file is its header.
//
// Two kinds of problem are told apart. A record that can be read but not
// used (a bad label, a value of the wrong type) is reported and the reader
// goes on. An input that cannot be read to its end (an unclosed quote, a
// malformed JSON line, a line over 1 MiB) is a *ParseError: the whole
// input is refused, and Check and Spool find it before anything is stored.
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

// Next returns the next record and its line, io.EOF at the end, an
// EINVALID *ksp.Error for a record that cannot be used (the reader goes on
// with the next one), or a *ParseError when the input cannot be read past
// a line (the reader stops there).
type Next func() (int, *ksp.SubmissionInput, error)

// ParseError says that the input cannot be read past Line. It refuses the
// whole input: what follows the line cannot be trusted to be what the
// sender meant.
type ParseError struct {
	Line   int
	Reason string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Invalid returns the error as the EINVALID error an API answers with: the
// field "line", with the line set.
func (e *ParseError) Invalid() *ksp.Error {
	return &ksp.Error{Code: ksp.EINVALID, Message: "the input cannot be read: " + e.Error(),
		Fields: []ksp.FieldError{{Field: "line", Reason: e.Reason, Line: e.Line}}}
}

// Columns are the bulk columns a reader stores: the submission's fields.
var Columns = []string{"type", "value", "quality", "content_type", "labels", "basis", "entity_id", "severity", "flags", "distribution", "tlp", "audience", "incident_id", "basis_reason", "policy_version"}

// markColumns are the columns an export adds that a reader acts on: own
// (false: another organisation's data, counted unchanged and never stored)
// and value_redacted (the value is a placeholder, never importable).
var markColumns = []string{"own", "value_redacted"}

// exportOnly are columns that exports add for information; readers ignore
// them so that an export can be imported again.
var exportOnly = []string{"signal_id", "submissions", "confidence", "status", "actionable", "first_seen", "last_seen"}

var required = []string{"type", "value", "content_type", "labels"}

// maxLine bounds an NDJSON line.
const maxLine = 1 << 20

func bad(fields ...ksp.FieldError) error {
	return &ksp.Error{Code: ksp.EINVALID, Message: fields[0].Field + ": " + fields[0].Reason, Fields: fields}
}

// Open returns the reader of format "csv" or "ndjson". A CSV header that
// cannot be used is a *ParseError naming line 1.
func Open(r io.Reader, format string) (Next, error) {
	switch format {
	case "csv":
		return CSV(r)
	case "ndjson":
		return NDJSON(r), nil
	}
	return nil, fmt.Errorf("unknown format %q: want csv or ndjson", format)
}

// Check reads next to its end and returns the first *ParseError (or read
// error), or nil when every line could be read. Records that cannot be
// used are not its concern: they are reported when the input is stored.
func Check(next Next) error {
	for {
		_, _, err := next()
		var ke *ksp.Error
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &ke) && ke.Code == ksp.EINVALID:
		case err != nil:
			return err
		}
	}
}

// record finishes a record read from a file: own=false rows become foreign
// (nothing else of them matters), and a redacted value is refused.
func record(in *ksp.SubmissionInput, absent []string, own *bool, redacted bool) (*ksp.SubmissionInput, error) {
	in.Bulk = &ksp.BulkInfo{Absent: absent}
	if own != nil && !*own {
		in.Bulk.Foreign = true
		return in, nil
	}
	if redacted || ksp.IsRedacted(in.Value) {
		return nil, bad(ksp.FieldError{Field: "value", Reason: "redacted: the export showed a placeholder instead of this value, which is never importable"})
	}
	return in, nil
}

// absentOf lists the bulk fields that present does not name.
func absentOf(present func(string) bool) []string {
	var out []string
	for _, f := range ksp.BulkFields {
		if !present(f) {
			out = append(out, f)
		}
	}
	return out
}

// NDJSON reads one JSON object per line; blank lines are skipped. A line
// that is not JSON, holds more than one value or is longer than 1 MiB is
// a *ParseError; an object with unknown keys or values of the wrong type
// is a record that cannot be used.
func NDJSON(r io.Reader) Next {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	line := 0
	var stopped error
	return func() (int, *ksp.SubmissionInput, error) {
		if stopped != nil {
			return line, nil, stopped
		}
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			in, err := decodeLine(b)
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Line = line
				stopped = pe
			}
			return line, in, err
		}
		switch err := sc.Err(); {
		case errors.Is(err, bufio.ErrTooLong):
			line++
			stopped = &ParseError{Line: line, Reason: "longer than 1 MiB"}
		case err != nil:
			stopped = fmt.Errorf("read line %d: %w", line+1, err)
		default:
			stopped = io.EOF
		}
		return line, nil, stopped
	}
}

// decodeLine decodes one NDJSON object; a *ParseError it returns has no
// line yet.
func decodeLine(b []byte) (*ksp.SubmissionInput, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	err := dec.Decode(&raw)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return nil, &ParseError{Reason: fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, err)}
	case errors.As(err, &typ), err == nil && raw == nil:
		return nil, bad(ksp.FieldError{Field: "line", Reason: "not a JSON object"})
	case err != nil:
		return nil, &ParseError{Reason: "malformed JSON: " + err.Error()}
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) > 0 {
		return nil, &ParseError{Reason: "more than one JSON value on the line"}
	}
	var own *bool
	if v, ok := raw["own"]; ok {
		if err := json.Unmarshal(v, &own); err != nil {
			return nil, bad(ksp.FieldError{Field: "own", Reason: "must be true or false"})
		}
		if own != nil && !*own {
			return &ksp.SubmissionInput{Bulk: &ksp.BulkInfo{Foreign: true}}, nil
		}
	}
	var in ksp.SubmissionInput
	var redacted bool
	targets := map[string]any{"type": &in.Type, "value": &in.Value, "quality": &in.Quality, "content_type": &in.ContentType, "labels": &in.Labels,
		"basis": &in.Basis, "entity_id": &in.EntityID, "severity": &in.Severity, "flags": &in.Flags, "distribution": &in.Distribution, "tlp": &in.TLP,
		"audience": &in.Audience, "incident_id": &in.IncidentID, "basis_reason": &in.BasisReason, "policy_version": &in.PolicyVersion, "value_redacted": &redacted}
	var fields []ksp.FieldError
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t, ok := targets[k]
		switch {
		case k == "own" || slices.Contains(exportOnly, k):
		case !ok:
			fields = append(fields, ksp.FieldError{Field: k, Reason: "unknown field"})
		default:
			if err := json.Unmarshal(raw[k], t); err != nil {
				fields = append(fields, ksp.FieldError{Field: k, Reason: "wrong type: " + jsonType(raw[k])})
			}
		}
	}
	if len(fields) > 0 {
		return nil, bad(fields...)
	}
	return record(&in, absentOf(func(f string) bool { _, ok := raw[f]; return ok }), own, redacted)
}

// jsonType names the JSON type of a raw value, for a wrong-type reason.
func jsonType(v json.RawMessage) string {
	switch v[0] {
	case '"':
		return "string"
	case '[':
		return "array"
	case '{':
		return "object"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

// CSV reads a CSV file whose first line names the columns. A header that
// cannot be used is returned at once, as a *ParseError naming line 1.
func CSV(r io.Reader) (Next, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, &ParseError{Line: 1, Reason: "empty file: a header naming the columns is required"}
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &ParseError{Line: 1, Reason: pe.Err.Error()}
		}
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case slices.Contains(exportOnly, h):
			continue
		case !slices.Contains(Columns, h) && !slices.Contains(markColumns, h):
			return nil, &ParseError{Line: 1, Reason: fmt.Sprintf("unknown column %q (known: %s)", h, strings.Join(append(slices.Clone(Columns), markColumns...), ", "))}
		}
		if _, dup := col[h]; dup {
			return nil, &ParseError{Line: 1, Reason: fmt.Sprintf("column %q appears twice", h)}
		}
		col[h] = i
	}
	for _, req := range required {
		if _, ok := col[req]; !ok {
			return nil, &ParseError{Line: 1, Reason: fmt.Sprintf("required column %q missing", req)}
		}
	}
	absent := absentOf(func(f string) bool { _, ok := col[f]; return ok })
	var stopped error
	last := 1
	return func() (int, *ksp.SubmissionInput, error) {
		if stopped != nil {
			return last, nil, stopped
		}
		for {
			rec, err := cr.Read()
			if err != nil {
				var pe *csv.ParseError
				switch {
				case err == io.EOF:
					stopped = io.EOF
				case errors.As(err, &pe):
					stopped = csvParseError(pe)
				default:
					stopped = fmt.Errorf("read CSV: %w", err)
				}
				return last, nil, stopped
			}
			line, _ := cr.FieldPos(0)
			last = line
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue
			}
			in, err := csvRecord(rec, col, absent)
			return line, in, err
		}
	}, nil
}

// csvParseError words a CSV syntax error, naming the line its record
// starts on.
func csvParseError(pe *csv.ParseError) *ParseError {
	line := pe.StartLine
	if line == 0 {
		line = pe.Line
	}
	reason := pe.Err.Error()
	if errors.Is(pe.Err, csv.ErrQuote) {
		reason = `a quoted field is not closed, or a quote inside it is not doubled ("")`
		if pe.Line > line {
			reason += fmt.Sprintf(" (still open at line %d)", pe.Line)
		}
	}
	return &ParseError{Line: line, Reason: reason}
}

// csvRecord turns one CSV row into a record. Free-text fields keep their
// spaces, so that an exported reason imports as it was.
func csvRecord(rec []string, col map[string]int, absent []string) (*ksp.SubmissionInput, error) {
	raw := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	get := func(name string) string { return strings.TrimSpace(raw(name)) }
	list := func(name string) []string {
		if v := get(name); v != "" {
			return strings.Split(v, "|")
		}
		return nil
	}
	boolean := func(name string) (*bool, error) {
		v := get(name)
		if v == "" {
			return nil, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, bad(ksp.FieldError{Field: name, Reason: "must be true or false, not " + strconv.Quote(v)})
		}
		return &b, nil
	}
	own, err := boolean("own")
	if err != nil {
		return nil, err
	}
	if own != nil && !*own {
		return &ksp.SubmissionInput{Bulk: &ksp.BulkInfo{Foreign: true}}, nil
	}
	redacted, err := boolean("value_redacted")
	if err != nil {
		return nil, err
	}
	in := &ksp.SubmissionInput{Type: get("type"), Value: get("value"), ContentType: get("content_type"), Labels: list("labels"),
		Basis: get("basis"), EntityID: get("entity_id"), Severity: get("severity"), Flags: list("flags"),
		Distribution: ksp.Distribution(get("distribution")), TLP: ksp.TLP(get("tlp")), Audience: list("audience"),
		IncidentID: get("incident_id"), BasisReason: raw("basis_reason"), PolicyVersion: raw("policy_version")}
	if q := get("quality"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil {
			return nil, bad(ksp.FieldError{Field: "quality", Reason: "not a whole number: " + q})
		}
		in.Quality = &n
	}
	return record(in, absent, own, redacted != nil && *redacted)
}
