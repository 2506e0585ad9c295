package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/names"
)

// searchEntities ranks the entities (under the regime filter, if any) by
// how well one of their names, original-script names or aliases matches q
// across spellings (package names: case, diacritics, particles,
// transliteration, word order, Arabic-script forms), best first. The
// cursor is the rank to go on from: the ranking is computed again for each
// page from the names as they are then.
func (db *DB) searchEntities(ctx context.Context, q string, regime *string, p ksp.Page) ([]*ksp.Entity, string, error) {
	p = p.Normalize()
	offset := 0
	if p.Cursor != "" {
		c, err := decodeCursor(p.Cursor)
		n, convErr := strconv.Atoi(strings.TrimPrefix(c, "rank:"))
		if err != nil || convErr != nil || !strings.HasPrefix(c, "rank:") || n < 0 {
			return nil, "", &ksp.Error{Code: ksp.EINVALID, Message: "invalid cursor", Fields: []ksp.FieldError{{Field: "cursor", Reason: "not a cursor returned by this search"}}}
		}
		offset = n
	}
	where, args := "1 = 1", []any(nil)
	if regime != nil && *regime != "" {
		where, args = `EXISTS (SELECT 1 FROM entity_lists l WHERE l.entity_id = e.id AND l.regime = ?)`, []any{*regime}
	}
	rows, err := db.query(ctx, `SELECT `+entityCols+` FROM entities e WHERE `+where, args...)
	if err != nil {
		return nil, "", fmt.Errorf("search entities: %w", err)
	}
	ix := names.NewIndex()
	byID := map[string]*ksp.Entity{}
	for rows.Next() {
		e, err := scanEntity(rows)
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("search entities: %w", err)
		}
		byID[e.ID] = e
		for _, field := range append([]string{e.Name, e.OriginalName}, aliasNames(e)...) {
			for _, n := range names.SplitAliases(field) {
				ix.Add(e.ID, n)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("search entities: %w", err)
	}
	hits := ix.Search(q, offset+p.Limit+1)
	if offset > len(hits) {
		offset = len(hits)
	}
	hits = hits[offset:]
	next := ""
	if len(hits) > p.Limit {
		hits = hits[:p.Limit]
		next = encodeCursor("rank:" + strconv.Itoa(offset+p.Limit))
	}
	out := make([]*ksp.Entity, 0, len(hits))
	for _, h := range hits {
		out = append(out, byID[h.ID])
	}
	if err := db.loadListings(ctx, db.sql, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func aliasNames(e *ksp.Entity) []string {
	out := make([]string, 0, len(e.Aliases))
	for _, a := range e.Aliases {
		out = append(out, a.Name)
	}
	return out
}
