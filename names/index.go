package names

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Similarity of two folded tokens, by the strongest relation that holds.
const (
	simExact    = 1.0  // equal folded tokens
	simJoined   = 0.9  // a query token spells two adjacent name tokens together
	simSkeleton = 0.85 // equal consonant skeletons
	simEdit1    = 0.75 // one edit apart
	simPrefix   = 0.7  // one is a prefix of the other (a partly typed word)
	simEdit2    = 0.6  // two edits apart (long tokens only)
)

// MinScore is the lowest score a Search hit may have: below it, a query
// token is left unmatched or the match is too loose to show.
const MinScore = 0.5

// tokenSim is the similarity of a query token q to a name token n (both
// folded, given also as runes qr and nr and as skeletons qs and ns), in
// [0, 1].
func tokenSim(q, n string, qr, nr []rune, qs, ns string) float64 {
	if q == n {
		return simExact
	}
	short := min(len(qr), len(nr))
	best := 0.0
	if short >= 4 && qs == ns && utf8.RuneCountInString(qs) >= 2 {
		best = simSkeleton
	}
	if d := len(qr) - len(nr); best < simEdit1 && short >= 4 && d <= 2 && d >= -2 {
		switch {
		case oneEdit(qr, nr):
			best = simEdit1
		case short >= 8 && best < simEdit2 && editDistance(qr, nr, 2) == 2:
			best = simEdit2
		}
	}
	if best < simPrefix {
		// The query's word typed in part (3 letters or more), or the name's
		// word with a suffix joined in the query (harakat → harakatul).
		if len(qr) >= 3 && len(nr) > len(qr) && strings.HasPrefix(n, q) ||
			len(nr) >= 4 && len(qr) > len(nr) && strings.HasPrefix(q, n) {
			best = simPrefix
		}
	}
	return best
}

// oneEdit reports whether a and b are one insertion,
// deletion or substitution apart, in linear time.
func oneEdit(a, b []rune) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > 1 {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(b) {
		return len(a) != len(b)
	}
	if len(a) == len(b) {
		return slices.Equal(a[i+1:], b[i+1:])
	}
	return slices.Equal(a[i+1:], b[i:])
}

// editDistance is the Levenshtein distance of a and b, or limit+1 when it
// is over limit.
func editDistance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	var pb, cb [40]int
	prev, cur := pb[:0], cb[:0]
	if len(b)+1 > len(pb) {
		prev, cur = make([]int, 0, len(b)+1), make([]int, 0, len(b)+1)
	}
	prev, cur = prev[:len(b)+1], cur[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1)
			cur[j] = c
			rowMin = min(rowMin, c)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit+1)
}

// Hit is one entity found by Search: its id, the name or alias that matched
// best, and the score in [0, 1].
type Hit struct {
	ID    string
	Name  string
	Score float64
}

type entry struct {
	id, name string
	toks     []int32 // distinct folded tokens, as vocabulary ids
	joins    []join  // adjacent tokens written together
}

// join is two adjacent tokens a and b of a name written as one, k.
type join struct{ k, a, b int32 }

// Index holds names of entities for Search. The zero value is an empty
// Index. Add must not run concurrently with Add or Search; searches may run
// concurrently with each other.
type Index struct {
	vocab   map[string]int32
	keys    [][]rune
	strs    []string
	skels   []string
	df      []int     // names holding the token
	tok     []bool    // a token of a name, not only two written as one
	post    [][]int32 // entries holding the token or join
	entries []entry
}

// NewIndex returns an empty Index.
func NewIndex() *Index {
	return &Index{vocab: map[string]int32{}}
}

func (ix *Index) intern(k string) int32 {
	if ix.vocab == nil {
		ix.vocab = map[string]int32{}
	}
	if id, ok := ix.vocab[k]; ok {
		return id
	}
	id := int32(len(ix.strs))
	ix.vocab[k] = id
	ix.strs = append(ix.strs, k)
	ix.keys = append(ix.keys, []rune(k))
	ix.skels = append(ix.skels, skeleton(k))
	ix.df = append(ix.df, 0)
	ix.tok = append(ix.tok, false)
	ix.post = append(ix.post, nil)
	return id
}

// Add indexes one name (or alias) of entity id. Call it once per name;
// names packed in one field are split first with SplitAliases.
func (ix *Index) Add(id, name string) {
	toks := Fold(name)
	if len(toks) == 0 {
		return
	}
	e := entry{id: id, name: strings.Join(strings.Fields(name), " ")}
	n := int32(len(ix.entries))
	seen := map[int32]bool{}
	for i, t := range toks {
		k := ix.intern(t)
		ix.tok[k] = true
		if !seen[k] {
			seen[k] = true
			e.toks = append(e.toks, k)
			ix.df[k]++
			ix.post[k] = append(ix.post[k], n)
		}
		if i > 0 {
			j := ix.intern(toks[i-1] + t)
			e.joins = append(e.joins, join{j, ix.intern(toks[i-1]), k})
			if !seen[j] {
				seen[j] = true
				ix.post[j] = append(ix.post[j], n)
			}
		}
	}
	ix.entries = append(ix.entries, e)
}

// Len is the number of names indexed.
func (ix *Index) Len() int { return len(ix.entries) }

// Search returns the n entities whose names best match query, best first,
// one hit per id, none scoring below MinScore. Ties are ordered by id.
//
// A name's score is the weighted mean, over the query's folded tokens, of
// each token's best similarity to a token of the name (see the constants:
// exact, joined — two adjacent tokens of one written as one word of the
// other — skeleton, edit distance, prefix), weighted by the token's
// rarity among all names (inverse document frequency), so that a rare word
// of a name counts more than "islamic" or "trading". It is then scaled by
// 0.8 + 0.2 × the share of the name's tokens the query matched, so that of
// two names holding the query the shorter one ranks first.
func (ix *Index) Search(query string, n int) []Hit {
	return ix.search(query, n, true, MinScore)
}

func (ix *Index) search(query string, n int, idf bool, minScore float64) []Hit {
	qt := Fold(query)
	if len(qt) == 0 || n <= 0 {
		return nil
	}
	sims := make([][]float32, len(qt))
	w := make([]float64, len(qt))
	total := 0.0
	for i, q := range qt {
		qr := []rune(q)
		qs := skeleton(q)
		s := make([]float32, len(ix.strs))
		for k, kr := range ix.keys {
			if !ix.tok[k] {
				if ix.strs[k] == q {
					s[k] = simExact // joins only match exactly
				}
				continue
			}
			if d := len(kr) - len(qr); d > 2 && !(len(qr) >= 3 && kr[0] == qr[0]) {
				continue // cannot be one of the relations but a prefix
			}
			s[k] = float32(tokenSim(q, ix.strs[k], qr, kr, qs, ix.skels[k]))
		}
		sims[i] = s
		w[i] = 1
		if idf {
			df := 0
			if k, ok := ix.vocab[q]; ok {
				df = ix.df[k]
			}
			w[i] = math.Log(1 + float64(len(ix.entries))/float64(1+df))
		}
		total += w[i]
	}
	// Two adjacent query tokens written as one word in a name.
	qjoin := make([]int32, len(qt))
	for i := range qjoin {
		qjoin[i] = -1
		if i+1 < len(qt) {
			if k, ok := ix.vocab[qt[i]+qt[i+1]]; ok {
				qjoin[i] = k
			}
		}
	}
	// Only the names holding a matched token are scored.
	mark := make([]bool, len(ix.entries))
	var cands []int32
	visit := func(k int32) {
		for _, c := range ix.post[k] {
			if !mark[c] {
				mark[c] = true
				cands = append(cands, c)
			}
		}
	}
	for i := range qt {
		for k, v := range sims[i] {
			if v > 0 {
				visit(int32(k))
			}
		}
		if qjoin[i] >= 0 {
			visit(qjoin[i])
		}
	}
	best := map[string]Hit{}
	bs := make([]float32, len(qt))
	for _, c := range cands {
		e := ix.entries[c]
		for i := range qt {
			b := float32(0)
			for _, k := range e.toks {
				b = max(b, sims[i][k])
			}
			for _, j := range e.joins {
				if sims[i][j.k] == simExact {
					b = max(b, simJoined)
				}
			}
			bs[i] = b
		}
		for i, j := range qjoin {
			if j >= 0 && slices.Contains(e.toks, j) {
				bs[i] = max(bs[i], simJoined)
				bs[i+1] = max(bs[i+1], simJoined)
			}
		}
		sum, covered := 0.0, 0
		for i, b := range bs {
			sum += w[i] * float64(b)
		}
		if sum == 0 {
			continue
		}
		for _, k := range e.toks {
			if ix.covers(sims, e, k) {
				covered++
			}
		}
		score := sum / total * (0.8 + 0.2*float64(covered)/float64(len(e.toks)))
		if score < minScore {
			continue
		}
		if h, ok := best[e.id]; !ok || score > h.Score {
			best[e.id] = Hit{ID: e.id, Name: e.name, Score: score}
		}
	}
	hits := make([]Hit, 0, len(best))
	for _, h := range best {
		hits = append(hits, h)
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
	if len(hits) > n {
		hits = hits[:n]
	}
	return hits
}

// covers reports whether the query matched the name token k of e, alone or
// joined to its neighbour.
func (ix *Index) covers(sims [][]float32, e entry, k int32) bool {
	for i := range sims {
		if sims[i][k] >= simEdit2 {
			return true
		}
		for _, j := range e.joins {
			if (j.a == k || j.b == k) && sims[i][j.k] == simExact {
				return true
			}
		}
	}
	return false
}

// Score is how well query matches one name, in [0, 1], by the rule of
// Search with every query token weighted alike: 1 when the query holds all
// the name's tokens spelt alike, 0 when nothing matches.
func Score(query, name string) float64 {
	ix := NewIndex()
	ix.Add("", name)
	if hits := ix.search(query, 1, false, 0); len(hits) > 0 {
		return hits[0].Score
	}
	return 0
}
