package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/kspplatform/ksp"
)

// applyResourceUpdate changes r as upd says and names the fields that
// changed value. Moving away from distribution audience drops the audience
// unless the update names one (which validation then refuses).
func applyResourceUpdate(r *ksp.Resource, upd ksp.ResourceUpdate) []string {
	before := *r
	setIf(&r.Kind, upd.Kind)
	setIf(&r.Title, upd.Title)
	setIf(&r.Summary, upd.Summary)
	setIf(&r.Body, upd.Body)
	setIf(&r.Tags, upd.Tags)
	setIf(&r.Jurisdictions, upd.Jurisdictions)
	setIf(&r.Language, upd.Language)
	if upd.Distribution != nil {
		r.Distribution = *upd.Distribution
		if r.Distribution != ksp.DistAudience && upd.Audience == nil {
			r.Audience = nil
		}
	}
	setIf(&r.Audience, upd.Audience)
	setIf(&r.TLP, upd.TLP)
	ksp.NormalizeResource(r)
	r.Audience = normalizeAudience(r.Audience)
	var changed []string
	add := func(name string, same bool) {
		if !same {
			changed = append(changed, name)
		}
	}
	add("kind", r.Kind == before.Kind)
	add("title", r.Title == before.Title)
	add("summary", r.Summary == before.Summary)
	add("body", r.Body == before.Body)
	add("tags", slices.Equal(r.Tags, before.Tags))
	add("jurisdictions", slices.Equal(r.Jurisdictions, before.Jurisdictions))
	add("language", r.Language == before.Language)
	add("distribution", r.Distribution == before.Distribution)
	add("audience", slices.Equal(r.Audience, normalizeAudience(before.Audience)))
	add("tlp", r.TLP == before.TLP)
	return changed
}

// normalizeAudience sorts and de-duplicates org ids, so that an unchanged
// audience compares equal.
func normalizeAudience(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// UpdateResource applies upd and keeps the result as the next revision. An
// update that changes nothing writes nothing.
func (db *DB) UpdateResource(ctx context.Context, id string, upd ksp.ResourceUpdate) (*ksp.Resource, error) {
	a, err := resourceWriter(ctx)
	if err != nil {
		return nil, err
	}
	var out *ksp.Resource
	err = db.write(ctx, func(tx *Tx) error {
		r, err := db.editableResource(tx, a, id)
		if err != nil {
			return err
		}
		changed := applyResourceUpdate(r, upd)
		var fe ksp.Fields
		ksp.ValidateResource(r, &fe)
		if err := fe.Err(); err != nil {
			return err
		}
		out = r
		if len(changed) == 0 {
			return nil
		}
		if err := tx.checkAudience(r.Audience); err != nil {
			return err
		}
		r.Revision++
		r.AuthorID = a.UserID
		r.Updated = tx.now
		if _, err := tx.exec(`UPDATE resources SET kind = ?, title = ?, summary = ?, body = ?, tags = ?, jurisdictions = ?, tag_lines = ?, jur_lines = ?, language = ?,
			distribution = ?, tlp = ?, revision = ?, author_id = ?, updated_at = ? WHERE id = ?`,
			string(r.Kind), r.Title, r.Summary, r.Body, jsonList(r.Tags), jsonList(r.Jurisdictions), lines(r.Tags), lines(r.Jurisdictions), r.Language,
			string(r.Distribution), string(r.TLP), r.Revision, r.AuthorID, micros(r.Updated), r.ID); err != nil {
			return fmt.Errorf("update resource: %w", err)
		}
		if slices.Contains(changed, "distribution") || slices.Contains(changed, "audience") {
			if err := tx.setAudience(r.ID, r.Audience); err != nil {
				return err
			}
		}
		if err := tx.insertRevision(a, r); err != nil {
			return err
		}
		return tx.audit("resource.update", "resource:"+r.ID, r.OwnerOrgID, map[string]any{"fields": changed, "revision": r.Revision})
	})
	if err != nil {
		return nil, err
	}
	redactResource(a, out)
	return out, nil
}

// DeleteResource removes a resource, its audience and every revision.
func (db *DB) DeleteResource(ctx context.Context, id string) error {
	a, err := resourceWriter(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		r, err := db.editableResource(tx, a, id)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM resource_revisions WHERE resource_id = ?`,
			`DELETE FROM audiences WHERE item_id = ?`,
			`DELETE FROM resources WHERE id = ?`,
		} {
			if _, err := tx.exec(q, r.ID); err != nil {
				return fmt.Errorf("delete resource: %w", err)
			}
		}
		return tx.audit("resource.delete", "resource:"+r.ID, r.OwnerOrgID, map[string]any{"title": r.Title, "revisions": r.Revision})
	})
}

const revisionCols = `number, author_id, author_name, created_at, kind, title, summary, tags, jurisdictions, language`

func scanRevision(sc interface{ Scan(...any) error }, id string, body *string) (*ksp.ResourceRevision, error) {
	rv := ksp.ResourceRevision{ResourceID: id}
	var kind, tags, jurs string
	var created int64
	dest := []any{&rv.Number, &rv.AuthorID, &rv.AuthorName, &created, &kind, &rv.Title, &rv.Summary, &tags, &jurs, &rv.Language}
	if body != nil {
		dest = append(dest, body)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	rv.Kind, rv.Created = ksp.ResourceKind(kind), fromMicros(created)
	if err := unmarshalList(tags, &rv.Tags); err != nil {
		return nil, fmt.Errorf("revision tags: %w", err)
	}
	if err := unmarshalList(jurs, &rv.Jurisdictions); err != nil {
		return nil, fmt.Errorf("revision jurisdictions: %w", err)
	}
	return &rv, nil
}

// FindResourceRevisions lists a visible resource's revisions, newest first,
// without their bodies.
func (db *DB) FindResourceRevisions(ctx context.Context, id string) ([]*ksp.ResourceRevision, error) {
	a, r, err := db.readResource(ctx, id)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT `+revisionCols+` FROM resource_revisions WHERE resource_id = ? ORDER BY number DESC`, r.ID)
	if err != nil {
		return nil, fmt.Errorf("resource revisions: %w", err)
	}
	defer rows.Close()
	out := []*ksp.ResourceRevision{}
	for rows.Next() {
		rv, err := scanRevision(rows, r.ID, nil)
		if err != nil {
			return nil, fmt.Errorf("resource revisions: %w", err)
		}
		redactRevision(a, r, rv)
		out = append(out, rv)
	}
	return out, rows.Err()
}

// FindResourceRevision returns revision n of a visible resource in full.
func (db *DB) FindResourceRevision(ctx context.Context, id string, n int) (*ksp.ResourceRevision, error) {
	a, r, err := db.readResource(ctx, id)
	if err != nil {
		return nil, err
	}
	var body string
	rv, err := scanRevision(db.queryRow(ctx, `SELECT `+revisionCols+`, body FROM resource_revisions WHERE resource_id = ? AND number = ?`, r.ID, n), r.ID, &body)
	if isNoRows(err) {
		return nil, ksp.NotFound("revision")
	}
	if err != nil {
		return nil, fmt.Errorf("resource revision: %w", err)
	}
	rv.Body = body
	redactRevision(a, r, rv)
	return rv, nil
}

// setIf sets *dst to *src when an update names a value (src not nil).
func setIf[T any](dst, src *T) {
	if src != nil {
		*dst = *src
	}
}
