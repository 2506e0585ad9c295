package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// The bank list's search (SignalFilter.Query) and sorts (SignalFilter.Sort).
// A search reads the value ranges of ksp.SearchRanges from the signals'
// (type, value) index. A sort is by a figure as the viewer sees it:
// first_seen and last_seen are aggregated in SQL over the submissions the
// viewer may see (the same ones the view reads), confidence is computed on
// the views themselves. Nothing the viewer cannot see takes part in a sort
// key, so neither the order nor a page's cut says anything about it.

// maxConfidenceSort is how many signals a confidence sort reads at most:
// the score is computed per viewer on each signal's view, so the list must
// first be narrowed (a search, a type) when it is longer.
const maxConfidenceSort = 10000

// searchCond is the SQL condition on signals aliased sig for a search,
// with its arguments ("" when q is empty).
func (db *DB) searchCond(q string) (string, []any, error) {
	ranges, err := ksp.SearchRanges(q)
	if err != nil || len(ranges) == 0 {
		return "", nil, err
	}
	// PostgreSQL compares text by the database's collation, in which a
	// range need not be a prefix (glibc collations skip punctuation):
	// compare bytes, on migration 015's index. SQLite compares bytes.
	col := "sig.value"
	if db.d.Name == "postgres" {
		col = `(sig.value COLLATE "C")`
	}
	var terms []string
	var args []any
	for _, r := range ranges {
		t := "(sig.type = ? AND " + col + " >= ?"
		args = append(args, r.Type, r.Lo)
		if r.Hi != "" {
			t += " AND " + col + " < ?"
			args = append(args, r.Hi)
		}
		terms = append(terms, t+")")
	}
	return "(" + strings.Join(terms, " OR ") + ")", args, nil
}

// sortSpec is a parsed SignalFilter.Sort.
type sortSpec struct {
	field string
	desc  bool
}

func parseSort(s string) (sortSpec, error) {
	sp := sortSpec{field: strings.TrimPrefix(s, "-"), desc: strings.HasPrefix(s, "-")}
	if !slices.Contains(ksp.SignalSorts, sp.field) {
		var f ksp.Fields
		f.Add("sort", "must be one of "+strings.Join(ksp.SignalSorts, ", ")+", each with - before it for descending")
		return sp, f.Err()
	}
	return sp, nil
}

// sortCursor is a position in a sorted list: the sort, the key of the last
// signal listed and its id (ids are random, so ties say nothing).
type sortCursor struct {
	sort string
	key  string
	id   string
}

func (c sortCursor) encode() string { return encodeCursor(c.sort + "\x1f" + c.key + "\x1f" + c.id) }

func decodeSortCursor(s, sortName string) (*sortCursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := decodeCursor(s)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(raw, "\x1f")
	if len(parts) != 3 || parts[0] != sortName || !ksp.ValidID(parts[2]) {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "invalid cursor", Fields: []ksp.FieldError{{Field: "cursor", Reason: "not a cursor returned by this list with this sort"}}}
	}
	if _, err := strconv.ParseFloat(parts[1], 64); err != nil {
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "invalid cursor", Fields: []ksp.FieldError{{Field: "cursor", Reason: "not a cursor returned by this list"}}}
	}
	return &sortCursor{sort: parts[0], key: parts[1], id: parts[2]}, nil
}

// candidateConds are the conditions on a viewer's visible submissions s
// that a sorted list starts from: the sharing rule, the search and the
// type. The exact filters are checked on each view (listed).
func (db *DB) candidateConds(v ksp.Viewer, f ksp.SignalFilter) ([]string, []any, error) {
	vis, args := Visible(v, "s", "id")
	where := []string{vis}
	sc, sargs, err := db.searchCond(f.Query)
	if err != nil {
		return nil, nil, err
	}
	sigConds := []string{}
	if sc != "" {
		sigConds = append(sigConds, sc)
		args = append(args, sargs...)
	}
	if f.Type != nil {
		sigConds = append(sigConds, "sig.type = ?")
		args = append(args, *f.Type)
	}
	if len(sigConds) > 0 {
		where = append(where, "s.signal_id IN (SELECT sig.id FROM signals sig WHERE "+strings.Join(sigConds, " AND ")+")")
	}
	if f.Own {
		where = append(where, "EXISTS (SELECT 1 FROM submissions so WHERE so.signal_id = s.signal_id AND so.org_id = ? AND so.retracted_at IS NULL)")
		args = append(args, v.OrgID)
	}
	return where, args, nil
}

// findSorted lists signals sorted by a figure as the viewer sees it.
func (db *DB) findSorted(ctx context.Context, a *ksp.Actor, v ksp.Viewer, f ksp.SignalFilter, page ksp.Page) ([]*ksp.Signal, string, error) {
	sp, err := parseSort(f.Sort)
	if err != nil {
		return nil, "", err
	}
	cur, err := decodeSortCursor(page.Cursor, f.Sort)
	if err != nil {
		return nil, "", err
	}
	var out []*ksp.Signal
	var next string
	var states []*ksp.SignalState
	if sp.field == "confidence" || sp.field == "matches" {
		out, states, next, err = db.sortedByFigure(ctx, v, f, sp, cur, page.Limit)
	} else {
		out, states, next, err = db.sortedBySeen(ctx, v, f, sp, cur, page.Limit)
	}
	if err != nil {
		return nil, "", err
	}
	if err := db.auditStaffReads(ctx, a, "signal.staff_list", states); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// sortedBySeen reads signals in the order of the viewer's first or last
// seen: each signal is placed by its representative submission among those
// the viewer may see — the earliest created for first seen, the latest
// changed for last seen — found by a probe of the signal's few submissions
// (as the default list does). Submissions are read in the key's order on
// migration 015's indexes, so a page costs about its own rows; ties go by
// the submission's id, which the viewer sees. Views that fail the filter
// are skipped and more are read.
func (db *DB) sortedBySeen(ctx context.Context, v ksp.Viewer, f ksp.SignalFilter, sp sortSpec, cur *sortCursor, limit int) ([]*ksp.Signal, []*ksp.SignalState, string, error) {
	col, repDir := "created_at", "ASC"
	if sp.field == "last_seen" {
		col, repDir = "updated_at", "DESC"
	}
	dir, cmp := "ASC", ">"
	if sp.desc {
		dir, cmp = "DESC", "<"
	}
	var out []*ksp.Signal
	var states []*ksp.SignalState
	for {
		where, args, err := db.candidateConds(v, f)
		if err != nil {
			return nil, nil, "", err
		}
		vis2, args2 := Visible(v, "s2", "id")
		where = append(where, "s.id = (SELECT s2.id FROM submissions s2 WHERE s2.signal_id = s.signal_id AND "+vis2+
			" ORDER BY s2."+col+" "+repDir+", s2.id "+repDir+" LIMIT 1)")
		args = append(args, args2...)
		if cur != nil {
			k, _ := strconv.ParseInt(cur.key, 10, 64)
			where = append(where, "(s."+col+" "+cmp+" ? OR (s."+col+" = ? AND s.id "+cmp+" ?))")
			args = append(args, k, k, cur.id)
		}
		n := max(limit+1, listBatch)
		rows, err := db.query(ctx, `SELECT s.id, s.signal_id, s.`+col+` FROM submissions s WHERE `+strings.Join(where, " AND ")+
			` ORDER BY s.`+col+` `+dir+`, s.id `+dir+` LIMIT `+fmt.Sprint(n), args...)
		if err != nil {
			return nil, nil, "", fmt.Errorf("find signals: %w", err)
		}
		var pos []sortCursor
		for rows.Next() {
			var c sortCursor
			var k int64
			if err := rows.Scan(&c.id, &c.sort, &k); err != nil {
				rows.Close()
				return nil, nil, "", fmt.Errorf("find signals: %w", err)
			}
			c.key = strconv.FormatInt(k, 10)
			pos = append(pos, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, "", fmt.Errorf("find signals: %w", err)
		}
		ids := make([]string, len(pos))
		for i, p := range pos {
			ids[i] = p.sort // the signal's id, read into the sort slot
		}
		loaded, err := db.loadStates(ctx, db.sql, ids)
		if err != nil {
			return nil, nil, "", err
		}
		for i, p := range pos {
			c := &sortCursor{sort: f.Sort, key: p.key, id: p.id}
			st := loaded[ids[i]]
			var sig *ksp.Signal
			if st != nil {
				sig = st.View(v, false)
			}
			if sig == nil || !listed(sig, f) {
				cur = c
				continue
			}
			if len(out) == limit {
				return out, states, cur.encode(), nil
			}
			out = append(out, sig)
			states = append(states, st)
			cur = c
		}
		if len(pos) < n {
			return out, states, "", nil
		}
	}
}

// sortedByFigure reads every candidate (at most maxConfidenceSort),
// computes each view and sorts by a figure as the viewer sees it: the
// confidence of its view, or the matches it may see in the last 90 days
// (MatchesSortSQL's figure: 0 where the viewer may not see the counts, and
// only months that pass the three-organisation rule).
func (db *DB) sortedByFigure(ctx context.Context, v ksp.Viewer, f ksp.SignalFilter, sp sortSpec, cur *sortCursor, limit int) ([]*ksp.Signal, []*ksp.SignalState, string, error) {
	where, args, err := db.candidateConds(v, f)
	if err != nil {
		return nil, nil, "", err
	}
	rows, err := db.query(ctx, `SELECT DISTINCT s.signal_id FROM submissions s WHERE `+strings.Join(where, " AND ")+` LIMIT `+fmt.Sprint(maxConfidenceSort+1), args...)
	if err != nil {
		return nil, nil, "", fmt.Errorf("find signals: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, nil, "", fmt.Errorf("find signals: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, "", fmt.Errorf("find signals: %w", err)
	}
	if len(ids) > maxConfidenceSort {
		var fe ksp.Fields
		fe.Add("sort", fmt.Sprintf("%s sorts at most %d signals: search (q) or choose a type first", sp.field, maxConfidenceSort))
		return nil, nil, "", fe.Err()
	}
	loaded, err := db.loadStates(ctx, db.sql, ids)
	if err != nil {
		return nil, nil, "", err
	}
	type item struct {
		sig *ksp.Signal
		st  *ksp.SignalState
	}
	var items []item
	for _, id := range ids {
		st := loaded[id]
		if st == nil {
			continue
		}
		if sig := st.View(v, false); sig != nil && listed(sig, f) {
			items = append(items, item{sig, st})
		}
	}
	figure := func(it item) float64 { return it.sig.Confidence }
	if sp.field == "matches" {
		shown := make([]string, len(items))
		for i, it := range items {
			shown[i] = it.sig.ID
		}
		totals, err := db.matchTotals(ctx, v, shown, matchSortSince(time.Now()))
		if err != nil {
			return nil, nil, "", err
		}
		figure = func(it item) float64 { return float64(totals[it.sig.ID]) }
	}
	compare := func(c1 float64, id1 string, c2 float64, id2 string) int {
		r := 0
		switch {
		case c1 < c2:
			r = -1
		case c1 > c2:
			r = 1
		default:
			r = strings.Compare(id1, id2)
		}
		if sp.desc {
			r = -r
		}
		return r
	}
	slices.SortFunc(items, func(x, y item) int { return compare(figure(x), x.sig.ID, figure(y), y.sig.ID) })
	start := 0
	if cur != nil {
		ck, _ := strconv.ParseFloat(cur.key, 64)
		start = len(items)
		for i, it := range items {
			if compare(figure(it), it.sig.ID, ck, cur.id) > 0 {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(items))
	var out []*ksp.Signal
	var states []*ksp.SignalState
	for _, it := range items[start:end] {
		out = append(out, it.sig)
		states = append(states, it.st)
	}
	next := ""
	if end < len(items) {
		last := items[end-1]
		next = sortCursor{sort: f.Sort, key: strconv.FormatFloat(figure(last), 'f', -1, 64), id: last.sig.ID}.encode()
	}
	return out, states, next, nil
}

// matchSortSince is the first day a matches sort counts: 90 days back.
func matchSortSince(now time.Time) string {
	return now.UTC().AddDate(0, 0, -90).Format("2006-01-02")
}
