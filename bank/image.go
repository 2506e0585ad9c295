package bank

import (
	"slices"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
)

// ImageQueries returns the match queries for a hashed image: its MD5 and
// SHA-256 and, unless its PDQ quality is below ksp.MinPDQQuality (then
// pdqSkipped is true: too little detail to match perceptually), its PDQ hash
// followed by the 7 rotations and mirrors when they were computed.
func ImageQueries(h filehash.Result) (queries []ksp.MatchQuery, pdqSkipped bool) {
	queries = []ksp.MatchQuery{{Type: ksp.TypeMD5, Value: h.MD5}, {Type: ksp.TypeSHA256, Value: h.SHA256}}
	if h.Quality < ksp.MinPDQQuality {
		return queries, true
	}
	queries = append(queries, ksp.MatchQuery{Type: ksp.TypePDQ, Value: h.PDQ.String()})
	if h.Dihedral != nil {
		for _, v := range h.Dihedral[1:] {
			queries = append(queries, ksp.MatchQuery{Type: ksp.TypePDQ, Value: v.String()})
		}
	}
	return queries, false
}

// Merge folds the results of several queries about one item (an image's
// hashes and variants) into one list: each signal once, at its smallest
// distance, nearest first.
func Merge(results []ksp.MatchResult) []ksp.MatchHit {
	out := []ksp.MatchHit{}
	best := map[string]int{}
	for _, qr := range results {
		for _, m := range qr.Matches {
			if i, ok := best[m.SignalID]; !ok {
				best[m.SignalID] = len(out)
				out = append(out, m)
			} else if m.Distance < out[i].Distance {
				out[i] = m
			}
		}
	}
	slices.SortStableFunc(out, func(x, y ksp.MatchHit) int { return x.Distance - y.Distance })
	return out
}
