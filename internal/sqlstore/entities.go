package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kspplatform/ksp"
)

const entityCols = `e.id, COALESCE(e.external_key, ''), e.kind, e.name, e.original_name, e.aliases, e.ideology, e.notes, e.comments, e.nationalities, e.created_at, e.updated_at`

// scanEntity reads the entityCols of a row, then any extra columns that
// follow them into extra.
func scanEntity(sc interface{ Scan(...any) error }, extra ...any) (*ksp.Entity, error) {
	var e ksp.Entity
	var aliases, nats string
	var created, updated int64
	dest := append([]any{&e.ID, &e.ExternalKey, &e.Kind, &e.Name, &e.OriginalName, &aliases, &e.Ideology, &e.Notes, &e.Comments, &nats, &created, &updated}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(aliases), &e.Aliases); err != nil {
		return nil, fmt.Errorf("entity %s aliases: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(nats), &e.Nationalities); err != nil {
		return nil, fmt.Errorf("entity %s nationalities: %w", e.ID, err)
	}
	e.Created, e.Updated = fromMicros(created), fromMicros(updated)
	e.Lists = []ksp.EntityListing{}
	return &e, nil
}

// searchText is what the q filter matches: the names, lower-cased, one a
// line (so that a query cannot match across two names).
func searchText(e *ksp.Entity) string {
	names := []string{e.Name, e.OriginalName}
	for _, a := range e.Aliases {
		names = append(names, a.Name)
	}
	return strings.ToLower(strings.Join(names, "\n"))
}

// FindEntityByID returns an entity by id or by list reference number.
func (db *DB) FindEntityByID(ctx context.Context, id string) (*ksp.Entity, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, err
	}
	return db.findEntity(ctx, db.sql, id)
}

func (db *DB) findEntity(ctx context.Context, q querier, id string) (*ksp.Entity, error) {
	id = strings.TrimSpace(id)
	var query string
	if ksp.ValidID(id) {
		query = `SELECT ` + entityCols + ` FROM entities e WHERE e.id = ?`
	} else if id != "" && len(id) <= 100 {
		// A reference number names one entity of one list; the oldest entity
		// wins should two lists ever share a number.
		query = `SELECT ` + entityCols + ` FROM entities e WHERE e.id = (SELECT MIN(l.entity_id) FROM entity_lists l WHERE l.reference_number = ?)`
	} else {
		return nil, ksp.NotFound("entity")
	}
	e, err := scanEntity(q.QueryRowContext(ctx, db.rebind(query), id))
	if isNoRows(err) {
		return nil, ksp.NotFound("entity")
	}
	if err != nil {
		return nil, fmt.Errorf("find entity: %w", err)
	}
	if err := db.loadListings(ctx, q, []*ksp.Entity{e}); err != nil {
		return nil, err
	}
	return e, nil
}

func (db *DB) loadListings(ctx context.Context, q querier, es []*ksp.Entity) error {
	if len(es) == 0 {
		return nil
	}
	byID := map[string]*ksp.Entity{}
	ph := make([]string, len(es))
	args := make([]any, len(es))
	for i, e := range es {
		byID[e.ID] = e
		ph[i] = "?"
		args[i] = e.ID
	}
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT entity_id, list, regime, reference_number, listed_on, delisted_on FROM entity_lists WHERE entity_id IN (`+strings.Join(ph, ",")+`) ORDER BY list`), args...)
	if err != nil {
		return fmt.Errorf("load entity lists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var l ksp.EntityListing
		if err := rows.Scan(&id, &l.List, &l.Regime, &l.ReferenceNumber, &l.ListedOn, &l.DelistedOn); err != nil {
			return fmt.Errorf("load entity lists: %w", err)
		}
		byID[id].Lists = append(byID[id].Lists, l)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load entity lists: %w", err)
	}
	return nil
}

// FindEntities lists entities, newest first.
func (db *DB) FindEntities(ctx context.Context, f ksp.EntityFilter) ([]*ksp.Entity, string, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, "", err
	}
	where := []string{"1 = 1"}
	var args []any
	if f.Q != nil && strings.TrimSpace(*f.Q) != "" {
		q := strings.TrimSpace(*f.Q)
		if len(q) > 200 {
			return nil, "", &ksp.Error{Code: ksp.EINVALID, Message: "query too long", Fields: []ksp.FieldError{{Field: "q", Reason: "at most 200 bytes"}}}
		}
		return db.searchEntities(ctx, q, f.Regime, f.Page)
	}
	if f.Regime != nil && *f.Regime != "" {
		where = append(where, `EXISTS (SELECT 1 FROM entity_lists l WHERE l.entity_id = e.id AND l.regime = ?)`)
		args = append(args, *f.Regime)
	}
	pw, pargs, limit, err := pageQuery(f.Page, "e.id")
	if err != nil {
		return nil, "", err
	}
	where = append(where, pw)
	args = append(args, pargs...)
	rows, err := db.query(ctx, `SELECT `+entityCols+` FROM entities e WHERE `+strings.Join(where, " AND ")+` ORDER BY e.id DESC LIMIT `+fmt.Sprint(limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find entities: %w", err)
	}
	defer rows.Close()
	var out []*ksp.Entity
	for rows.Next() {
		e, err := scanEntity(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find entities: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find entities: %w", err)
	}
	out, next := cut(out, f.Page, func(e *ksp.Entity) string { return e.ID })
	if err := db.loadListings(ctx, db.sql, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// CreateEntity creates an entity by hand (staff only).
func (db *DB) CreateEntity(ctx context.Context, e *ksp.Entity) error {
	if _, err := requireStaff(ctx); err != nil {
		return err
	}
	var f ksp.Fields
	ksp.ValidateEntity(e, &f)
	if err := f.Err(); err != nil {
		return err
	}
	e.ExternalKey = ""
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.insertEntity(e); err != nil {
			return err
		}
		return tx.audit("entity.create", "entity:"+e.ID, "", map[string]any{"name": e.Name, "kind": string(e.Kind)})
	})
}

func (tx *Tx) insertEntity(e *ksp.Entity) error {
	e.ID = ksp.NewID()
	e.Created, e.Updated = tx.now, tx.now
	var key any
	if e.ExternalKey != "" {
		key = e.ExternalKey
	}
	if _, err := tx.exec(`INSERT INTO entities (id, external_key, kind, name, original_name, aliases, ideology, notes, comments, nationalities, search_text, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, key, string(e.Kind), e.Name, e.OriginalName, jsonList(e.Aliases), string(e.Ideology), e.Notes, e.Comments, jsonList(e.Nationalities), searchText(e), micros(e.Created), micros(e.Updated)); err != nil {
		return fmt.Errorf("insert entity: %w", err)
	}
	return tx.insertListings(e)
}

func (tx *Tx) replaceListings(e *ksp.Entity) error {
	if _, err := tx.exec(`DELETE FROM entity_lists WHERE entity_id = ?`, e.ID); err != nil {
		return fmt.Errorf("entity lists: %w", err)
	}
	return tx.insertListings(e)
}

func (tx *Tx) insertListings(e *ksp.Entity) error {
	for _, l := range e.Lists {
		if _, err := tx.exec(`INSERT INTO entity_lists (entity_id, list, regime, reference_number, listed_on, delisted_on) VALUES (?, ?, ?, ?, ?, ?)`,
			e.ID, l.List, l.Regime, l.ReferenceNumber, l.ListedOn, l.DelistedOn); err != nil {
			return fmt.Errorf("entity lists: %w", err)
		}
	}
	return nil
}

func (tx *Tx) updateEntityRow(e *ksp.Entity) error {
	e.Updated = tx.now
	if _, err := tx.exec(`UPDATE entities SET kind = ?, name = ?, original_name = ?, aliases = ?, ideology = ?, notes = ?, comments = ?, nationalities = ?, search_text = ?, updated_at = ? WHERE id = ?`,
		string(e.Kind), e.Name, e.OriginalName, jsonList(e.Aliases), string(e.Ideology), e.Notes, e.Comments, jsonList(e.Nationalities), searchText(e), micros(e.Updated), e.ID); err != nil {
		return fmt.Errorf("update entity: %w", err)
	}
	return nil
}

// UpdateEntity changes an entity (staff only).
func (db *DB) UpdateEntity(ctx context.Context, id string, upd ksp.EntityUpdate) (*ksp.Entity, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	var out *ksp.Entity
	err := db.write(ctx, func(tx *Tx) error {
		e, err := db.findEntity(ctx, tx, id)
		if err != nil {
			return err
		}
		before := e.Lists
		var changed []string
		if upd.Name != nil {
			e.Name, changed = *upd.Name, append(changed, "name")
		}
		if upd.OriginalName != nil {
			e.OriginalName, changed = *upd.OriginalName, append(changed, "original_name")
		}
		if upd.Aliases != nil {
			e.Aliases, changed = *upd.Aliases, append(changed, "aliases")
		}
		if upd.Ideology != nil {
			e.Ideology, changed = *upd.Ideology, append(changed, "ideology")
		}
		if upd.Notes != nil {
			e.Notes, changed = *upd.Notes, append(changed, "notes")
		}
		if upd.Lists != nil {
			e.Lists, changed = *upd.Lists, append(changed, "lists")
		}
		var f ksp.Fields
		ksp.ValidateEntity(e, &f)
		if err := f.Err(); err != nil {
			return err
		}
		if err := tx.updateEntityRow(e); err != nil {
			return err
		}
		flagged := 0
		if upd.Lists != nil {
			if err := tx.replaceListings(e); err != nil {
				return err
			}
			// A listing this edit ends flags the entity's signals.
			if flagged, err = tx.flagEditedListings(e, before); err != nil {
				return err
			}
		}
		out = e
		return tx.audit("entity.update", "entity:"+e.ID, "", map[string]any{"fields": changed, "flagged": flagged})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
