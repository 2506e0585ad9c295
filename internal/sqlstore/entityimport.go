package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/unsc"
)

// unscKeyPrefix makes an entity's external key from a UN DATAID.
const unscKeyPrefix = "UN:"

// ImportUNSC brings the UN listings up to date from a consolidated list
// (staff only). The file is parsed in full before the write transaction
// starts, so that a broken or foreign file changes nothing and the write
// lock is held only for the database work.
func (db *DB) ImportUNSC(ctx context.Context, r io.Reader, force bool) (*ksp.ImportCounts, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	l, err := unsc.Parse(r)
	if err != nil {
		msg := "the file cannot be read as a UN consolidated list: " + err.Error()
		if errors.Is(err, unsc.ErrNotConsolidatedList) {
			msg = "not a UN Security Council consolidated list: " + err.Error()
		}
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: msg, Fields: []ksp.FieldError{{Field: "file", Reason: msg}}}
	}
	if len(l.Entries) == 0 {
		// An empty list would delist everyone; no real list is empty.
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "the consolidated list has no entries", Fields: []ksp.FieldError{{Field: "file", Reason: "no INDIVIDUAL or ENTITY entries"}}}
	}
	var counts ksp.ImportCounts
	err = db.write(ctx, func(tx *Tx) error {
		counts = ksp.ImportCounts{}
		return tx.importUNSC(l, force, &counts)
	})
	if err != nil {
		return nil, err
	}
	return &counts, nil
}

// unListed is the stored state of one UN-imported entity.
type unListed struct {
	e       *ksp.Entity
	listing ksp.EntityListing
}

func (tx *Tx) importUNSC(l *unsc.List, force bool, counts *ksp.ImportCounts) error {
	var last int64
	err := tx.queryRow(`SELECT generated_at FROM list_imports WHERE source = ?`, "unsc").Scan(&last)
	switch {
	case isNoRows(err):
		last = 0
	case err != nil:
		return fmt.Errorf("import unsc: last import: %w", err)
	case micros(l.Generated) < last && !force:
		return ksp.Errorf(ksp.ECONFLICT, "this list was generated on %s, before the last one imported (%s); import it with force to go back to it",
			ksp.FormatTime(l.Generated), ksp.FormatTime(fromMicros(last).Time))
	}
	existing, err := tx.unListedEntities()
	if err != nil {
		return err
	}
	day := l.Generated.Format("2006-01-02") // in the file's own zone
	inFile := map[string]bool{}
	for _, en := range l.Entries {
		key := unscKeyPrefix + en.DataID
		inFile[key] = true
		want := entityFromUNSC(en)
		old, ok := existing[key]
		if !ok {
			want.ExternalKey = key
			if err := tx.insertEntity(want); err != nil {
				return fmt.Errorf("import unsc: DATAID %s: %w", en.DataID, err)
			}
			counts.Added++
			continue
		}
		e := old.e
		sameEntity := e.Kind == want.Kind && e.Name == want.Name && e.OriginalName == want.OriginalName &&
			slices.Equal(e.Aliases, want.Aliases) && e.Comments == want.Comments && slices.Equal(e.Nationalities, want.Nationalities)
		if sameEntity && old.listing == want.Lists[0] {
			counts.Unchanged++
			continue
		}
		if !sameEntity {
			e.Kind, e.Name, e.OriginalName, e.Aliases, e.Comments, e.Nationalities = want.Kind, want.Name, want.OriginalName, want.Aliases, want.Comments, want.Nationalities
			if err := tx.updateEntityRow(e); err != nil {
				return fmt.Errorf("import unsc: DATAID %s: %w", en.DataID, err)
			}
		}
		if err := tx.upsertUNListing(e.ID, want.Lists[0]); err != nil {
			return fmt.Errorf("import unsc: DATAID %s: %w", en.DataID, err)
		}
		counts.Updated++
	}
	var delisted []delisting
	for _, key := range slices.Sorted(maps.Keys(existing)) {
		old := existing[key]
		if inFile[key] || old.listing.DelistedOn != "" {
			continue
		}
		old.listing.DelistedOn = day
		if err := tx.upsertUNListing(old.e.ID, old.listing); err != nil {
			return fmt.Errorf("import unsc: delist %s: %w", key, err)
		}
		counts.Delisted++
		delisted = append(delisted, delisting{old.e.ID, ksp.ListUN, old.listing.ReferenceNumber, day})
	}
	// The signals of the delisted entities are flagged for review, in
	// this transaction.
	if len(delisted) > 0 {
		n, err := tx.flagDelisted(delisted)
		if err != nil {
			return fmt.Errorf("import unsc: %w", err)
		}
		counts.Flagged = n
	}
	if _, err := tx.exec(`DELETE FROM list_imports WHERE source = ?`, "unsc"); err != nil {
		return fmt.Errorf("import unsc: %w", err)
	}
	if _, err := tx.exec(`INSERT INTO list_imports (source, generated_at, imported_at) VALUES (?, ?, ?)`, "unsc", micros(l.Generated), micros(tx.now)); err != nil {
		return fmt.Errorf("import unsc: %w", err)
	}
	return tx.audit("entity.import", "list:"+ksp.ListUN, "", map[string]any{
		"source": "unsc", "generated": ksp.FormatTime(l.Generated), "force": force,
		"added": counts.Added, "updated": counts.Updated, "delisted": counts.Delisted, "unchanged": counts.Unchanged, "flagged": counts.Flagged,
	})
}

// entityFromUNSC maps a list entry to an entity with its one UN listing.
func entityFromUNSC(en unsc.Entry) *ksp.Entity {
	e := &ksp.Entity{
		Kind:          ksp.EntityIndividual,
		Name:          en.Name,
		OriginalName:  en.NameOriginalScript,
		Aliases:       []ksp.EntityAlias{},
		Comments:      en.Comments,
		Nationalities: []string{},
		Lists: []ksp.EntityListing{{List: ksp.ListUN, Regime: en.Regime, ReferenceNumber: en.ReferenceNumber,
			ListedOn: en.ListedOn}},
	}
	if en.Kind == unsc.KindEntity {
		e.Kind = ksp.EntityGroup
	}
	for _, a := range en.Aliases {
		e.Aliases = append(e.Aliases, ksp.EntityAlias{Quality: a.Quality, Name: a.Name})
	}
	e.Nationalities = append(e.Nationalities, en.Nationalities...)
	return e
}

func (tx *Tx) upsertUNListing(entityID string, l ksp.EntityListing) error {
	res, err := tx.exec(`UPDATE entity_lists SET regime = ?, reference_number = ?, listed_on = ?, delisted_on = ? WHERE entity_id = ? AND list = ?`,
		l.Regime, l.ReferenceNumber, l.ListedOn, l.DelistedOn, entityID, ksp.ListUN)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	// Staff removed the UN listing by hand; the list brings it back.
	_, err = tx.exec(`INSERT INTO entity_lists (entity_id, list, regime, reference_number, listed_on, delisted_on) VALUES (?, ?, ?, ?, ?, ?)`,
		entityID, ksp.ListUN, l.Regime, l.ReferenceNumber, l.ListedOn, l.DelistedOn)
	return err
}

// unListedEntities loads every entity imported from the UN list with its
// UN listing, by external key.
func (tx *Tx) unListedEntities() (map[string]unListed, error) {
	rows, err := tx.query(`SELECT ` + entityCols + `, COALESCE(l.regime, ''), COALESCE(l.reference_number, ''), COALESCE(l.listed_on, ''), COALESCE(l.delisted_on, '')
		FROM entities e LEFT JOIN entity_lists l ON l.entity_id = e.id AND l.list = 'UN'
		WHERE e.external_key LIKE 'UN:%'`)
	if err != nil {
		return nil, fmt.Errorf("import unsc: load entities: %w", err)
	}
	defer rows.Close()
	out := map[string]unListed{}
	for rows.Next() {
		var u unListed
		u.listing.List = ksp.ListUN
		e, err := scanEntity(rows, &u.listing.Regime, &u.listing.ReferenceNumber, &u.listing.ListedOn, &u.listing.DelistedOn)
		if err != nil {
			return nil, fmt.Errorf("import unsc: load entities: %w", err)
		}
		u.e = e
		out[e.ExternalKey] = u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("import unsc: load entities: %w", err)
	}
	return out, nil
}
