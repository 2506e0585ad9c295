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

// searchPlan is a validated search: the words, the types to search (after
// the caller's rights and the filters), and the page.
type searchPlan struct {
	terms  searchTerms
	types  []string
	q      ksp.SearchQuery
	viewer ksp.Viewer
	offset int
	limit  int
}

func searchInvalid(field, reason string) error {
	return &ksp.Error{Code: ksp.EINVALID, Message: "invalid " + field + ": " + reason, Fields: []ksp.FieldError{{Field: field, Reason: reason}}}
}

// planSearch checks a query and decides what it searches. Resource filters
// (kind, tag, jurisdiction) leave resources only, a regime entities only.
// Entities are read under FindEntities' rule (any signed-in member or
// staff, never the anonymous): an anonymous search of all types leaves
// them out, one asking for entities alone is told to sign in.
func planSearch(ctx context.Context, q ksp.SearchQuery) (*searchPlan, error) {
	terms, err := parseSearch(q.Q)
	if err != nil {
		return nil, err
	}
	for _, t := range q.Types {
		if !slices.Contains(ksp.SearchTypes, t) {
			return nil, searchInvalid("type", "must be one of "+strings.Join(ksp.SearchTypes, ", "))
		}
	}
	types := slices.Clone(q.Types)
	if len(types) == 0 {
		types = slices.Clone(ksp.SearchTypes)
	}
	slices.Sort(types)
	types = slices.Compact(types)
	// The resource filters mean what they mean for the library's list.
	rf := ksp.ResourceFilter{Kind: q.Kind, Tag: q.Tag, Jurisdiction: q.Jurisdiction}
	if err := checkResourceFilter(&rf); err != nil {
		return nil, err
	}
	q.Tag, q.Jurisdiction = rf.Tag, rf.Jurisdiction
	if q.Regime != nil && (*q.Regime == "" || len(*q.Regime) > 100) {
		return nil, searchInvalid("regime", "a regime of 1–100 characters")
	}
	resourceFilter := q.Kind != nil || q.Tag != nil || q.Jurisdiction != nil
	if resourceFilter && q.Regime != nil {
		return nil, searchInvalid("regime", "filters entities, while kind, tag and jurisdiction filter resources: use one or the other")
	}
	if resourceFilter {
		if !slices.Contains(types, ksp.SearchResource) {
			return nil, searchInvalid("type", "kind, tag and jurisdiction filter resources: search type resource")
		}
		types = []string{ksp.SearchResource}
	}
	if q.Regime != nil {
		if !slices.Contains(types, ksp.SearchEntity) {
			return nil, searchInvalid("type", "regime filters entities: search type entity")
		}
		types = []string{ksp.SearchEntity}
	}
	a := ksp.ActorFrom(ctx)
	viewer := a.Viewer()
	if a == nil || a.OrgID == "" {
		types = slices.DeleteFunc(types, func(t string) bool { return t == ksp.SearchEntity })
		if len(types) == 0 {
			return nil, ksp.Errorf(ksp.EUNAUTHORIZED, "sign in to search designated entities")
		}
	}
	p := &searchPlan{terms: terms, q: q, types: types, viewer: viewer}
	pg := q.Page.Normalize()
	if pg.Limit > maxSearchLimit {
		return nil, searchInvalid("limit", "at most 100 for a search")
	}
	p.limit = pg.Limit
	if pg.Cursor != "" {
		c, err := decodeCursor(pg.Cursor)
		n, convErr := strconv.Atoi(strings.TrimPrefix(c, "search:"))
		if err != nil || convErr != nil || !strings.HasPrefix(c, "search:") || n < 0 {
			return nil, searchInvalid("cursor", "not a cursor returned by this search")
		}
		p.offset = n
	}
	return p, nil
}

// Search ranks the resources and entities the caller may see that contain
// every word of q (the last one as a prefix while it is being typed), best
// first, with a snippet each, and counts the search. The sharing rule is
// part of the ranking query, so a hidden resource is neither returned nor
// used to fill a page. Both engines' scores are mapped to [0, 1) the same
// way (s/(1+s)), so that resources and entities rank in one list.
func (db *DB) Search(ctx context.Context, q ksp.SearchQuery) ([]*ksp.SearchResult, string, error) {
	p, err := planSearch(ctx, q)
	if err != nil {
		return nil, "", err
	}
	hits, err := db.rankSearch(ctx, p)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(hits) > p.limit {
		hits = hits[:p.limit]
		next = encodeCursor("search:" + strconv.Itoa(p.offset+p.limit))
	}
	if hits, err = db.describeHits(ctx, p, hits); err != nil {
		return nil, "", err
	}
	// A search is counted once, on its first page; the pages after it are
	// the same search.
	if q.Page.Cursor == "" {
		if err := db.countSearch(ctx); err != nil {
			return nil, "", err
		}
	}
	return hits, next, nil
}

// rankSearch returns one page of hits (one more than the limit, to tell
// whether another page follows) with type, id and score only.
func (db *DB) rankSearch(ctx context.Context, p *searchPlan) ([]*ksp.SearchResult, error) {
	var arms []string
	var args []any
	for _, t := range p.types {
		var arm string
		var armArgs []any
		switch t {
		case ksp.SearchResource:
			arm, armArgs = db.resourceArm(p)
		case ksp.SearchEntity:
			arm, armArgs = db.entityArm(p)
		case ksp.SearchQuestion:
			arm, armArgs = db.questionArm(p)
		}
		arms = append(arms, arm)
		args = append(args, armArgs...)
	}
	query := `SELECT type, id, score FROM (` + strings.Join(arms, " UNION ALL ") + `) hits ORDER BY score DESC, type, id LIMIT ? OFFSET ?`
	args = append(args, p.limit+1, p.offset)
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out []*ksp.SearchResult
	for rows.Next() {
		h := &ksp.SearchResult{}
		if err := rows.Scan(&h.Type, &h.ID, &h.Score); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		if db.d.Name == "sqlite" {
			// bm25 is negated in the query (higher is better, as for
			// ts_rank_cd); PostgreSQL's normalisation 32 already maps
			// its rank r to r/(1+r).
			h.Score = h.Score / (1 + h.Score)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

// resourceFilters is the sharing rule and the resource filters of a
// search, on resources aliased r.
func resourceFilters(p *searchPlan) (string, []any) {
	vis, args := Visible(p.viewer, "r", "id")
	where := []string{vis}
	if p.q.Kind != nil {
		where = append(where, "r.kind = ?")
		args = append(args, string(*p.q.Kind))
	}
	if p.q.Tag != nil {
		where = append(where, `r.tag_lines LIKE ? ESCAPE '\'`)
		args = append(args, likeLine(*p.q.Tag))
	}
	if p.q.Jurisdiction != nil {
		where = append(where, `r.jur_lines LIKE ? ESCAPE '\'`)
		args = append(args, likeLine(*p.q.Jurisdiction))
	}
	return strings.Join(where, " AND "), args
}

func entityFilters(p *searchPlan) (string, []any) {
	if p.q.Regime == nil {
		return "1 = 1", nil
	}
	return `EXISTS (SELECT 1 FROM entity_lists l WHERE l.entity_id = e.id AND l.regime = ?)`, []any{*p.q.Regime}
}

// The bm25 weights of the FTS5 columns (the id column last, unindexed),
// in the proportions of PostgreSQL's weights A, B and D.
const (
	resourceBM25 = `bm25(resources_fts, 10.0, 4.0, 1.0, 4.0, 0.0)`
	entityBM25   = `bm25(entities_fts, 10.0, 10.0, 4.0, 1.0, 0.0)`
	questionBM25 = `bm25(questions_fts, 10.0, 1.0, 4.0, 0.0)`
)

// On SQLite the FTS row is joined to its item through the key table by
// rowid: reading the FTS table's own id column would read its copy of the
// text, for every match.
func (db *DB) resourceArm(p *searchPlan) (string, []any) {
	where, args := resourceFilters(p)
	if db.d.Name == "sqlite" {
		return `SELECT 'resource' AS type, r.id AS id, -` + resourceBM25 + ` AS score FROM resources_fts JOIN resource_search_keys k ON k.n = resources_fts.rowid JOIN resources r ON r.id = k.id
			WHERE resources_fts MATCH ? AND ` + where, append([]any{p.terms.fts5()}, args...)
	}
	return `SELECT 'resource' AS type, r.id AS id, ts_rank_cd(r.search_vector, to_tsquery('simple', ?), 32) AS score FROM resources r
		WHERE r.search_vector @@ to_tsquery('simple', ?) AND ` + where, append([]any{p.terms.tsquery(), p.terms.tsquery()}, args...)
}

func (db *DB) entityArm(p *searchPlan) (string, []any) {
	where, args := entityFilters(p)
	if db.d.Name == "sqlite" {
		return `SELECT 'entity' AS type, e.id AS id, -` + entityBM25 + ` AS score FROM entities_fts JOIN entity_search_keys k ON k.n = entities_fts.rowid JOIN entities e ON e.id = k.id
			WHERE entities_fts MATCH ? AND ` + where, append([]any{p.terms.fts5()}, args...)
	}
	return `SELECT 'entity' AS type, e.id AS id, ts_rank_cd(e.search_vector, to_tsquery('simple', ?), 32) AS score FROM entities e
		WHERE e.search_vector @@ to_tsquery('simple', ?) AND ` + where, append([]any{p.terms.tsquery(), p.terms.tsquery()}, args...)
}

// The snippet settings: about 24 words around the best match.
const (
	fts5SnippetTokens = 24
	headlineOptions   = "StartSel=\x02, StopSel=\x03, MaxWords=24, MinWords=12, MaxFragments=1, FragmentDelimiter=\" … \""
)

// headlineLT stands in for "<" in the text given to ts_headline, whose
// parser takes "<word ...>" for an HTML tag and leaves it and a script's
// content out of the headline and its highlights, although the search
// vector (made of the words alone) matched them. The text's own \x01
// characters are dropped first, so that each one in the headline is a "<".
const headlineLT = "\x01"

func headlineText(col string) string {
	return `replace(replace(` + col + `, chr(1), ''), '<', chr(1))`
}

// hitDetail is what describeHits reads of one hit: the sharing of a
// resource (for the audit of staff reads), its title and kind, and the two
// snippet candidates.
type hitDetail struct {
	sh                         ksp.Sharing
	title, kind, first, second string
}

// describeHits fills in the title, kind and snippet of a page of hits,
// computing snippets for the page only, and returns the page. A resource
// is read under the sharing rule again: one deleted or narrowed since the
// ranking is left out rather than shown.
func (db *DB) describeHits(ctx context.Context, p *searchPlan, hits []*ksp.SearchResult) ([]*ksp.SearchResult, error) {
	details := map[string]*hitDetail{}
	var err error
	if db.d.Name == "sqlite" {
		err = db.describeFTS5(ctx, p, hits, details)
	} else {
		err = db.describeHeadlines(ctx, p, hits, details)
	}
	if err != nil {
		return nil, fmt.Errorf("search snippets: %w", err)
	}
	out := hits[:0]
	var shown []*ksp.Resource
	var shownQ []*ksp.Question
	for _, h := range hits {
		d, ok := details[h.Type+":"+h.ID]
		if !ok {
			continue
		}
		if h.Type == ksp.SearchEntity {
			// The aliases are indexed one a line; shown, they are a list.
			d.first = strings.ReplaceAll(d.first, "\n", "; ")
		}
		h.Title, h.Kind, h.Snippet = d.title, d.kind, pickSnippet(d.first, d.second)
		switch h.Type {
		case ksp.SearchResource:
			shown = append(shown, &ksp.Resource{ID: h.ID, Sharing: d.sh})
		case ksp.SearchQuestion:
			shownQ = append(shownQ, &ksp.Question{ID: h.ID, Sharing: d.sh})
		}
		out = append(out, h)
	}
	// Staff reading other orgs' restricted resources is audited, in a
	// search as in the library's list.
	if err := db.auditResourceReads(ctx, ksp.ActorFrom(ctx), "resource.staff_search", shown); err != nil {
		return nil, err
	}
	if err := db.auditQuestionReads(ctx, ksp.ActorFrom(ctx), "question.staff_search", shownQ); err != nil {
		return nil, err
	}
	return out, nil
}

// describeFTS5 reads each hit with FTS5's snippet(), one query a hit (in
// process, a query costs little): snippet() needs the match of its row.
func (db *DB) describeFTS5(ctx context.Context, p *searchPlan, hits []*ksp.SearchResult, into map[string]*hitDetail) error {
	vis, visArgs := Visible(p.viewer, "r", "id")
	snip := []any{markStart, markEnd, fts5SnippetTokens, markStart, markEnd, fts5SnippetTokens}
	for _, h := range hits {
		var query string
		var args []any
		switch h.Type {
		case ksp.SearchQuestion:
			query, args = questionSnippetFTS5(p, h.ID, snip)
		case ksp.SearchResource:
			query = `SELECT r.owner_org_id, r.distribution, r.tlp, r.title, r.kind, snippet(resources_fts, 1, ?, ?, '…', ?), snippet(resources_fts, 2, ?, ?, '…', ?)
				FROM resources_fts JOIN resource_search_keys k ON k.n = resources_fts.rowid JOIN resources r ON r.id = k.id
				WHERE resources_fts MATCH ? AND resources_fts.rowid = (SELECT n FROM resource_search_keys WHERE id = ?) AND ` + vis
			args = slices.Concat(snip, []any{p.terms.fts5(), h.ID}, visArgs)
		default:
			query = `SELECT '', '', '', e.name, e.kind, snippet(entities_fts, 2, ?, ?, '…', ?), snippet(entities_fts, 3, ?, ?, '…', ?)
				FROM entities_fts JOIN entity_search_keys k ON k.n = entities_fts.rowid JOIN entities e ON e.id = k.id
				WHERE entities_fts MATCH ? AND entities_fts.rowid = (SELECT n FROM entity_search_keys WHERE id = ?)`
			args = slices.Concat(snip, []any{p.terms.fts5(), h.ID})
		}
		var d hitDetail
		err := db.queryRow(ctx, query, args...).Scan(&d.sh.OwnerOrgID, &d.sh.Distribution, &d.sh.TLP, &d.title, &d.kind, &d.first, &d.second)
		if isNoRows(err) {
			continue
		}
		if err != nil {
			return err
		}
		into[h.Type+":"+h.ID] = &d
	}
	return nil
}

// describeHeadlines reads the hits of each type in one query with
// ts_headline (one round trip a type, not one a hit).
func (db *DB) describeHeadlines(ctx context.Context, p *searchPlan, hits []*ksp.SearchResult, into map[string]*hitDetail) error {
	ids := map[string][]any{}
	for _, h := range hits {
		ids[h.Type] = append(ids[h.Type], h.ID)
	}
	tsq := p.terms.tsquery()
	for typ, list := range ids {
		in := placeholders(len(list))
		var query string
		args := []any{tsq, headlineOptions, tsq, headlineOptions}
		switch typ {
		case ksp.SearchQuestion:
			q, qargs := questionHeadlines(p, list)
			query, args = q, append(args, qargs...)
		case ksp.SearchResource:
			vis, visArgs := Visible(p.viewer, "r", "id")
			query = `SELECT r.id, r.owner_org_id, r.distribution, r.tlp, r.title, r.kind,
				ts_headline('simple', ` + headlineText("r.summary") + `, to_tsquery('simple', ?), ?),
				ts_headline('simple', ` + headlineText("r.body") + `, to_tsquery('simple', ?), ?)
				FROM resources r WHERE r.id IN (` + in + `) AND ` + vis
			args = append(append(args, list...), visArgs...)
		default:
			// The aliases as their names, one a line, out of their JSON.
			query = `SELECT e.id, '', '', '', e.name, e.kind,
				ts_headline('simple', ` + headlineText(`COALESCE((SELECT string_agg(a->>'name', E'\n') FROM jsonb_array_elements(e.aliases::jsonb) a), '')`) + `, to_tsquery('simple', ?), ?),
				ts_headline('simple', ` + headlineText("e.comments") + `, to_tsquery('simple', ?), ?)
				FROM entities e WHERE e.id IN (` + in + `)`
			args = append(args, list...)
		}
		rows, err := db.query(ctx, query, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var d hitDetail
			if err := rows.Scan(&id, &d.sh.OwnerOrgID, &d.sh.Distribution, &d.sh.TLP, &d.title, &d.kind, &d.first, &d.second); err != nil {
				rows.Close()
				return err
			}
			d.first, d.second = strings.ReplaceAll(d.first, headlineLT, "<"), strings.ReplaceAll(d.second, headlineLT, "<")
			into[typ+":"+id] = &d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// countSearch adds one to today's count (UTC), outside the write lock: a
// counter needs no place in the commit order. On PostgreSQL the commit
// does not wait for the log to reach the disk (a crash may lose the last
// few counts, never corrupt them), so that counting does not add a disk
// flush to every search.
func (db *DB) countSearch(ctx context.Context) error {
	day := ksp.Now().UTC().Format(time.DateOnly)
	const upsert = `INSERT INTO search_counts (day, searches) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET searches = search_counts.searches + 1`
	if db.d.Name == "sqlite" {
		if _, err := db.exec(ctx, upsert, day); err != nil {
			return fmt.Errorf("count search: %w", err)
		}
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("count search: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit TO OFF`); err != nil {
		return fmt.Errorf("count search: %w", err)
	}
	if _, err := tx.ExecContext(ctx, db.rebind(upsert), day); err != nil {
		return fmt.Errorf("count search: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("count search: %w", err)
	}
	return nil
}

// SearchCounts returns the days from from to to (inclusive, YYYY-MM-DD,
// UTC) on which searches were run, oldest first; days without searches are
// left out. The figures are aggregates with no query or searcher in them,
// published in the transparency report, so anyone may read them.
func (db *DB) SearchCounts(ctx context.Context, from, to string) ([]ksp.SearchCount, error) {
	f, errF := time.Parse(time.DateOnly, from)
	t, errT := time.Parse(time.DateOnly, to)
	switch {
	case errF != nil:
		return nil, searchInvalid("from", "a date YYYY-MM-DD")
	case errT != nil:
		return nil, searchInvalid("to", "a date YYYY-MM-DD")
	case t.Before(f):
		return nil, searchInvalid("to", "on or after from")
	}
	rows, err := db.query(ctx, `SELECT day, searches FROM search_counts WHERE day >= ? AND day <= ? ORDER BY day`, f.Format(time.DateOnly), t.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("search counts: %w", err)
	}
	defer rows.Close()
	out := []ksp.SearchCount{}
	for rows.Next() {
		var c ksp.SearchCount
		if err := rows.Scan(&c.Day, &c.Searches); err != nil {
			return nil, fmt.Errorf("search counts: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search counts: %w", err)
	}
	return out, nil
}
