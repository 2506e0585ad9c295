package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/kspplatform/ksp"
)

// unknownEntity is the reason given for an entity_id that names no entity.
const unknownEntity = "no entity has this id or list reference number"

// resolveEntityRefs maps each of refs (entity ids or list reference numbers)
// to the id of the entity it names, inside tx so that what a submission
// stores is what existed when it was written. A ref missing from the map
// names no entity. A reference number shared by two lists names the oldest
// entity, as FindEntityByID reads it. It costs at most two queries however
// many refs there are, so that a bulk batch resolves all its records at once.
func (tx *Tx) resolveEntityRefs(refs []string) (map[string]string, error) {
	out := make(map[string]string, len(refs))
	var ids, numbers []any
	seen := map[string]bool{}
	for _, r := range refs {
		if r == "" || seen[r] {
			continue
		}
		seen[r] = true
		switch {
		case ksp.ValidID(r):
			ids = append(ids, r)
		case ksp.ValidEntityRef(r):
			numbers = append(numbers, r)
		}
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), insertParams)]
		ids = ids[len(chunk):]
		if err := tx.collectPairs(`SELECT id, id FROM entities WHERE id IN (`+placeholders(len(chunk))+`)`, chunk, out); err != nil {
			return nil, err
		}
	}
	for len(numbers) > 0 {
		chunk := numbers[:min(len(numbers), insertParams)]
		numbers = numbers[len(chunk):]
		if err := tx.collectPairs(`SELECT reference_number, MIN(entity_id) FROM entity_lists WHERE reference_number IN (`+placeholders(len(chunk))+`) GROUP BY reference_number`, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// collectPairs adds the (key, value) rows of a two-column query to out.
func (tx *Tx) collectPairs(q string, args []any, out map[string]string) error {
	rows, err := tx.query(q, args...)
	if err != nil {
		return fmt.Errorf("resolve entities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("resolve entities: %w", err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("resolve entities: %w", err)
	}
	return nil
}

// resolveEntity replaces in.EntityID, an id or a reference number, by the
// id of the entity it names; one that names none is EINVALID on entity_id.
func (tx *Tx) resolveEntity(in *ksp.SubmissionInput) error {
	if in.EntityID == "" {
		return nil
	}
	m, err := tx.resolveEntityRefs([]string{in.EntityID})
	if err != nil {
		return err
	}
	id, ok := m[in.EntityID]
	if !ok {
		return &ksp.Error{Code: ksp.EINVALID, Message: "entity_id: " + unknownEntity, Fields: []ksp.FieldError{{Field: "entity_id", Reason: unknownEntity}}}
	}
	in.EntityID = id
	return nil
}

// resolveBatchEntities resolves the entity_id of every record of a batch
// with one lookup for the batch, and returns the records that name a known
// entity or none, and a rejection for each of the others. The records are
// changed in place (an id resolves to itself, so doing it again on a
// retried transaction changes nothing).
func (tx *Tx) resolveBatchEntities(batch []batchRec) ([]batchRec, []ksp.FieldError, error) {
	refs := make([]string, 0, len(batch))
	for _, r := range batch {
		if r.in.EntityID != "" {
			refs = append(refs, strings.TrimSpace(r.in.EntityID))
		}
	}
	if len(refs) == 0 {
		return batch, nil, nil
	}
	m, err := tx.resolveEntityRefs(refs)
	if err != nil {
		return nil, nil, err
	}
	keep := make([]batchRec, 0, len(batch))
	var rejected []ksp.FieldError
	for _, r := range batch {
		if r.in.EntityID != "" {
			id, ok := m[strings.TrimSpace(r.in.EntityID)]
			if !ok {
				rejected = append(rejected, ksp.FieldError{Line: r.line, Field: "entity_id", Reason: unknownEntity})
				continue
			}
			r.in.EntityID = id
		}
		keep = append(keep, r)
	}
	return keep, rejected, nil
}

// EntityRegimes lists the regimes of the stored listings, sorted.
func (db *DB) EntityRegimes(ctx context.Context) ([]string, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, err
	}
	out, err := columnStrings(db.query(ctx, `SELECT DISTINCT regime FROM entity_lists WHERE regime <> '' ORDER BY regime`))
	if err != nil {
		return nil, fmt.Errorf("entity regimes: %w", err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}
