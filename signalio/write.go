package signalio

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// ExportColumns are the columns of a CSV export, in order: every column a
// reader stores, own and value_redacted, then the computed figures.
var ExportColumns = []string{"signal_id", "own", "type", "value", "value_redacted", "quality", "content_type", "labels", "basis", "entity_id", "incident_id", "basis_reason",
	"severity", "flags", "distribution", "audience", "tlp", "policy_version", "submissions", "confidence", "status", "actionable", "first_seen", "last_seen"}

// ExportRecord is one exported signal. With Own set, the submission
// fields are the exporting organisation's own submission exactly, so that
// importing the export again changes nothing. Without it they are the
// signal as the exporter sees it, for information: a reader counts such a
// row unchanged and never stores it (another organisation's data is not
// the importer's to submit). A redacted value is never Own.
type ExportRecord struct {
	SignalID      string   `json:"signal_id"`
	Own           bool     `json:"own"`
	Type          string   `json:"type"`
	Value         string   `json:"value"`
	ValueRedacted bool     `json:"value_redacted"`
	Quality       *int     `json:"quality"`
	ContentType   string   `json:"content_type"`
	Labels        []string `json:"labels"`
	Basis         string   `json:"basis"`
	EntityID      string   `json:"entity_id"`
	IncidentID    string   `json:"incident_id"`
	BasisReason   string   `json:"basis_reason"`
	Severity      string   `json:"severity"`
	Flags         []string `json:"flags"`
	Distribution  string   `json:"distribution"`
	Audience      []string `json:"audience"`
	TLP           ksp.TLP  `json:"tlp"`
	PolicyVersion string   `json:"policy_version"`
	Submissions   int      `json:"submissions"`
	Confidence    float64  `json:"confidence"`
	Status        string   `json:"status"`
	Actionable    bool     `json:"actionable"`
	FirstSeen     ksp.Time `json:"first_seen"`
	LastSeen      ksp.Time `json:"last_seen"`
}

// Record turns an exported signal into a record. distribution is what the
// export says for a row that is not the exporter's own (the narrowest it
// was given); own is the exporter's own submission, nil when the row is
// another organisation's data.
func Record(s *ksp.Signal, distribution ksp.Distribution, own *ksp.Submission) ExportRecord {
	r := ExportRecord{SignalID: s.ID, Type: s.Type, Value: s.Value, ValueRedacted: s.ValueRedacted, Submissions: s.Submissions, Confidence: s.Confidence,
		Status: s.Status, Actionable: s.Actionable, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen, Audience: []string{}}
	if own != nil && !s.ValueRedacted {
		r.Own = true
		r.Quality, r.ContentType, r.Labels, r.Basis, r.EntityID, r.IncidentID = own.Quality, own.ContentType, own.Labels, own.Basis, own.EntityID, own.IncidentID
		r.BasisReason, r.Severity, r.Flags, r.Distribution, r.TLP, r.PolicyVersion = own.BasisReason, own.Severity, own.Flags, string(own.Distribution), own.TLP, own.PolicyVersion
		if len(own.Audience) > 0 {
			r.Audience = own.Audience
		}
	} else {
		r.Quality, r.Labels, r.Severity, r.Flags, r.Distribution, r.TLP = s.Quality, s.Labels, s.Severity, s.Flags, string(distribution), s.TLP
		if len(s.ContentTypes) > 0 {
			r.ContentType = s.ContentTypes[0]
		}
		if len(s.EntityIDs) > 0 {
			r.EntityID = s.EntityIDs[0]
		}
	}
	if r.Labels == nil {
		r.Labels = []string{}
	}
	if r.Flags == nil {
		r.Flags = []string{}
	}
	return r
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
	if err := w.writeHeader(); err != nil {
		return err
	}
	q := ""
	if r.Quality != nil {
		q = strconv.Itoa(*r.Quality)
	}
	return w.csv.Write([]string{r.SignalID, strconv.FormatBool(r.Own), r.Type, r.Value, strconv.FormatBool(r.ValueRedacted), q, r.ContentType, strings.Join(r.Labels, "|"),
		r.Basis, r.EntityID, r.IncidentID, r.BasisReason, r.Severity, strings.Join(r.Flags, "|"), r.Distribution, strings.Join(r.Audience, "|"), string(r.TLP), r.PolicyVersion,
		strconv.Itoa(r.Submissions), strconv.FormatFloat(r.Confidence, 'f', 3, 64), r.Status, strconv.FormatBool(r.Actionable),
		ksp.FormatTime(r.FirstSeen.Time), ksp.FormatTime(r.LastSeen.Time)})
}

func (w *Writer) writeHeader() error {
	if w.header {
		return nil
	}
	w.header = true
	return w.csv.Write(ExportColumns)
}

// Close flushes the output (a CSV export with no records still gets its
// header).
func (w *Writer) Close() error {
	if w.csv != nil {
		if err := w.writeHeader(); err != nil {
			return err
		}
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
	}
	return w.w.Flush()
}
