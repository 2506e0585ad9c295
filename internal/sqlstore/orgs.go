package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/kspplatform/ksp"
)

const orgCols = `o.id, o.name, o.slug, o.kind, o.size, o.status, o.website, o.named, o.created_at`

func scanOrg(sc interface{ Scan(...any) error }) (*ksp.Org, error) {
	var o ksp.Org
	var created int64
	if err := sc.Scan(&o.ID, &o.Name, &o.Slug, &o.Kind, &o.Size, &o.Status, &o.Website, &o.Named, &created); err != nil {
		return nil, err
	}
	o.Created = fromMicros(created)
	o.Domains = []ksp.Domain{}
	return &o, nil
}

// orgVisible says which orgs an actor may read: members read the directory
// of member orgs; a suspended org reads only itself.
func orgVisible(a *ksp.Actor) (string, []any) {
	switch {
	case a.Staff:
		return "1 = 1", nil
	case a.Suspended:
		return "o.id = ?", []any{a.OrgID}
	}
	return "(o.id = ? OR (o.status = 'member' AND o.kind <> 'staff') OR o.kind = 'staff')", []any{a.OrgID}
}

// FindOrgByID returns an org the actor may read.
func (db *DB) FindOrgByID(ctx context.Context, id string) (*ksp.Org, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	return db.findOrg(ctx, db.sql, a, id)
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func (db *DB) findOrg(ctx context.Context, q querier, a *ksp.Actor, id string) (*ksp.Org, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("organisation")
	}
	vis, args := orgVisible(a)
	o, err := scanOrg(q.QueryRowContext(ctx, db.rebind(`SELECT `+orgCols+` FROM orgs o WHERE o.id = ? AND `+vis), append([]any{id}, args...)...))
	if isNoRows(err) {
		return nil, ksp.NotFound("organisation")
	}
	if err != nil {
		return nil, fmt.Errorf("find org: %w", err)
	}
	if err := db.loadDomains(ctx, q, a, []*ksp.Org{o}); err != nil {
		return nil, err
	}
	return o, nil
}

// loadDomains fills in the orgs' domains: verified ones for everyone, the
// claims still unproven only for the org itself and staff.
func (db *DB) loadDomains(ctx context.Context, q querier, a *ksp.Actor, orgs []*ksp.Org) error {
	if len(orgs) == 0 {
		return nil
	}
	byID := map[string]*ksp.Org{}
	ph := make([]string, len(orgs))
	args := make([]any, len(orgs))
	for i, o := range orgs {
		byID[o.ID] = o
		ph[i] = "?"
		args[i] = o.ID
	}
	args = append(args, true, a.Staff, a.OrgID)
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT org_id, domain, verified FROM domains WHERE org_id IN (`+strings.Join(ph, ",")+`)
		AND (verified = ? OR ? OR org_id = ?) ORDER BY domain`), args...)
	if err != nil {
		return fmt.Errorf("load domains: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var orgID string
		var d ksp.Domain
		if err := rows.Scan(&orgID, &d.Domain, &d.Verified); err != nil {
			return fmt.Errorf("load domains: %w", err)
		}
		byID[orgID].Domains = append(byID[orgID].Domains, d)
	}
	return rows.Err()
}

// FindOrgs lists the orgs the actor may read, newest first.
func (db *DB) FindOrgs(ctx context.Context, f ksp.OrgFilter) ([]*ksp.Org, string, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, "", err
	}
	vis, args := orgVisible(a)
	where := []string{vis}
	if f.Kind != nil {
		where = append(where, "o.kind = ?")
		args = append(args, string(*f.Kind))
	}
	if f.Status != nil {
		where = append(where, "o.status = ?")
		args = append(args, *f.Status)
	}
	pw, pargs, limit, err := pageQuery(f.Page, "o.id")
	if err != nil {
		return nil, "", err
	}
	where = append(where, pw)
	args = append(args, pargs...)
	rows, err := db.query(ctx, `SELECT `+orgCols+` FROM orgs o WHERE `+strings.Join(where, " AND ")+` ORDER BY o.id DESC LIMIT `+fmt.Sprint(limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find orgs: %w", err)
	}
	defer rows.Close()
	var out []*ksp.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find orgs: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find orgs: %w", err)
	}
	out, next := cut(out, f.Page, func(o *ksp.Org) string { return o.ID })
	if err := db.loadDomains(ctx, db.sql, a, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// CreateOrg creates a member org (staff only; applicants go through
// ApproveApplication). o.ID, Slug, Status and Created are filled in.
func (db *DB) CreateOrg(ctx context.Context, o *ksp.Org) error {
	if _, err := requireStaff(ctx); err != nil {
		return err
	}
	var f ksp.Fields
	ksp.ValidateOrg(o, &f)
	if o.Kind == ksp.KindStaff {
		f.Add("kind", "there is one staff organisation")
	}
	if err := f.Err(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error { return tx.createOrg(o) })
}

func (tx *Tx) createOrg(o *ksp.Org) error {
	if err := tx.checkNotSecretariat("name", o.Name); err != nil {
		return err
	}
	o.ID = ksp.NewID()
	if o.Slug == "" {
		o.Slug = ksp.Slugify(o.Name)
	}
	if o.Status == "" {
		o.Status = ksp.OrgStatusMember
	}
	o.Created = tx.now
	if o.Domains == nil {
		o.Domains = []ksp.Domain{}
	}
	// Slugs are unique; a second "Acme" becomes acme-2.
	base := o.Slug
	for i := 2; ; i++ {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM orgs WHERE slug = ?`, o.Slug).Scan(&n); err != nil {
			return fmt.Errorf("create org: %w", err)
		}
		if n == 0 {
			break
		}
		o.Slug = fmt.Sprintf("%s-%d", base, i)
	}
	if _, err := tx.exec(`INSERT INTO orgs (id, name, slug, kind, size, status, website, named, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.Name, o.Slug, string(o.Kind), o.Size, o.Status, o.Website, o.Named, micros(o.Created)); err != nil {
		return fmt.Errorf("create org: %w", err)
	}
	for _, d := range o.Domains {
		if err := tx.addDomain(o.ID, d.Domain, d.Verified, true); err != nil {
			return err
		}
	}
	return tx.audit("org.create", "org:"+o.ID, o.ID, map[string]any{"name": o.Name, "kind": string(o.Kind), "size": o.Size})
}

// checkNotSecretariat refuses a member's name that reads like the staff
// org's (ksp.NameKey): members must not pass for the programme's
// secretariat, on applying, on approval or on renaming.
func (tx *Tx) checkNotSecretariat(field, name string) error {
	var staff string
	if err := tx.queryRow(`SELECT name FROM orgs WHERE id = ?`, ksp.StaffOrgID).Scan(&staff); err != nil {
		return fmt.Errorf("check org name: %w", err)
	}
	if ksp.NameKey(name) != ksp.NameKey(staff) {
		return nil
	}
	return &ksp.Error{Code: ksp.EINVALID, Message: "this name reads like the programme's secretariat",
		Fields: []ksp.FieldError{{Field: field, Reason: "too like the name of the programme's secretariat; choose your organisation's own name"}}}
}

// UpdateOrg changes an org: its admins may change name, size, website and
// whether it is named; staff may also suspend or reinstate it.
func (db *DB) UpdateOrg(ctx context.Context, id string, upd ksp.OrgUpdate) (*ksp.Org, error) {
	a, err := requireOrgAdmin(ctx, id)
	if err != nil {
		return nil, err
	}
	var out *ksp.Org
	err = db.write(ctx, func(tx *Tx) error {
		o, err := db.findOrg(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if o.Kind == ksp.KindStaff && upd.Status != nil {
			return &ksp.Error{Code: ksp.EINVALID, Message: "the staff organisation cannot be suspended", Fields: []ksp.FieldError{{Field: "status", Reason: "not allowed for the staff organisation"}}}
		}
		if upd.Name != nil {
			o.Name = *upd.Name
			if o.Kind != ksp.KindStaff {
				if err := tx.checkNotSecretariat("name", o.Name); err != nil {
					return err
				}
			}
		}
		if upd.Size != nil {
			o.Size = *upd.Size
		}
		if upd.Website != nil {
			o.Website = *upd.Website
		}
		if upd.Named != nil {
			o.Named = *upd.Named
		}
		var f ksp.Fields
		ksp.ValidateOrg(o, &f)
		if upd.Status != nil {
			switch {
			case !a.Staff:
				f.Add("status", "only staff may suspend or reinstate an organisation")
			case *upd.Status != ksp.OrgStatusMember && *upd.Status != ksp.OrgStatusSuspended:
				f.Add("status", "must be member or suspended")
			default:
				o.Status = *upd.Status
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE orgs SET name = ?, size = ?, website = ?, named = ?, status = ? WHERE id = ?`, o.Name, o.Size, o.Website, o.Named, o.Status, id); err != nil {
			return fmt.Errorf("update org: %w", err)
		}
		if upd.Status != nil {
			tx.authChanged()
		}
		out = o
		return tx.audit("org.update", "org:"+id, id, map[string]any{"name": o.Name, "status": o.Status})
	})
	return out, err
}
