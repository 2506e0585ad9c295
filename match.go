package ksp

import (
	"context"
	"slices"
	"strconv"
)

// Match limits (API.md).
const (
	DefaultThreshold = 31
	MaxThreshold     = 64
	MaxMatchQueries  = 1000
)

// MatchQuery is one value to look up.
type MatchQuery struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// MatchRequest is the body of POST /api/v1/match.
type MatchRequest struct {
	Queries   []MatchQuery `json:"queries"`
	Threshold *int         `json:"threshold,omitempty"`
	Dihedral  bool         `json:"dihedral,omitempty"`
}

// MatchHit is one signal a query matched, as the caller may see it.
type MatchHit struct {
	SignalID      string   `json:"signal_id"`
	Type          string   `json:"type"`
	Distance      int      `json:"distance"`
	Labels        []string `json:"labels"`
	EntityID      string   `json:"entity_id,omitempty"`
	TLP           TLP      `json:"tlp"`
	Confidence    float64  `json:"confidence"`
	Actionable    bool     `json:"actionable"`
	NotActionable string   `json:"not_actionable_reason,omitempty"`
}

// MatchResult holds one query's matches, nearest first.
type MatchResult struct {
	Matches []MatchHit `json:"matches"`
}

// Matcher answers match queries from memory and keeps itself in step with
// the store.
type Matcher interface {
	// Match looks up each query (values already normalised or not: the
	// matcher normalises) for the actor in ctx; results in query order.
	Match(ctx context.Context, queries []MatchQuery, threshold int) ([]MatchResult, error)
	// Sync applies every committed change not yet applied.
	Sync(ctx context.Context) error
}

// ValidateMatchRequest checks a match request and normalises its values.
func ValidateMatchRequest(r *MatchRequest) (int, error) {
	var f Fields
	th := DefaultThreshold
	if r.Threshold != nil {
		th = *r.Threshold
		if th < 0 || th > MaxThreshold {
			f.Add("threshold", "must be from 0 to 64")
		}
	}
	switch n := len(r.Queries); {
	case n == 0:
		f.Add("queries", "at least one query is required")
	case n > MaxMatchQueries:
		f.Add("queries", "at most 1000 queries per request")
	}
	if r.Dihedral {
		f.Add("dihedral", "dihedral search needs the pixels: send the image to /api/v1/match/image?dihedral=true (hashes of rotated or mirrored images cannot be derived from a hash)")
	}
	for i := range r.Queries {
		q := &r.Queries[i]
		field := "queries[" + strconv.Itoa(i) + "]"
		switch {
		case !slices.Contains(SignalTypes, q.Type):
			f.Add(field+".type", "must be one of pdq, md5, sha256, url")
		default:
			v, reason := NormalizeValue(q.Type, q.Value)
			if reason != "" {
				f.Add(field+".value", reason)
			}
			q.Value = v
		}
		if len(f) >= 20 {
			break
		}
	}
	return th, f.Err()
}
