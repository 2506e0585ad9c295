package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kspplatform/ksp"
)

const appCols = `a.id, a.org_name, a.kind, a.size, a.website, a.domains, a.contact_name, a.contact_email, a.motivation, a.status, a.reason, a.org_id, a.created_at, a.decided_at, a.checklist, a.decision_reason`

func scanApp(sc interface{ Scan(...any) error }) (*ksp.Application, error) {
	var a ksp.Application
	var domains string
	var created int64
	var decided sql.NullInt64
	var checklist string
	if err := sc.Scan(&a.ID, &a.OrgName, &a.Kind, &a.Size, &a.Website, &domains, &a.ContactName, &a.ContactEmail, &a.Motivation, &a.Status, &a.Reason, &a.OrgID, &created, &decided, &checklist, &a.DecisionReason); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(checklist), &a.Checklist); err != nil {
		return nil, fmt.Errorf("application %s: checklist: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(domains), &a.Domains); err != nil {
		return nil, fmt.Errorf("application %s: domains: %w", a.ID, err)
	}
	a.Created = fromMicros(created)
	a.Decided = ptrTime(decided)
	return &a, nil
}

// CreateApplication records an application to join; anyone may apply.
func (db *DB) CreateApplication(ctx context.Context, na ksp.NewApplication) (*ksp.Application, error) {
	if err := ksp.ValidateApplication(&na); err != nil {
		return nil, err
	}
	if na.Domains == nil {
		na.Domains = []string{}
	}
	a := &ksp.Application{ID: ksp.NewID(), OrgName: na.OrgName, Kind: na.Kind, Size: na.Size, Website: na.Website, Domains: na.Domains,
		ContactName: na.ContactName, ContactEmail: na.ContactEmail, Motivation: strings.TrimSpace(na.Motivation), Status: ksp.AppPending}
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.checkNotSecretariat("org_name", a.OrgName); err != nil {
			return err
		}
		a.Created = tx.now
		if _, err := tx.exec(`INSERT INTO applications (id, org_name, kind, size, website, domains, contact_name, contact_email, motivation, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.OrgName, string(a.Kind), a.Size, a.Website, jsonList(a.Domains), a.ContactName, a.ContactEmail, a.Motivation, a.Status, micros(a.Created)); err != nil {
			return fmt.Errorf("create application: %w", err)
		}
		return tx.audit("application.create", "application:"+a.ID, "", map[string]any{"org_name": a.OrgName, "contact_email": a.ContactEmail})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// FindApplicationByID returns an application (staff).
func (db *DB) FindApplicationByID(ctx context.Context, id string) (*ksp.Application, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	return db.findApp(ctx, db.sql, id)
}

func (db *DB) findApp(ctx context.Context, q querier, id string) (*ksp.Application, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("application")
	}
	a, err := scanApp(q.QueryRowContext(ctx, db.rebind(`SELECT `+appCols+` FROM applications a WHERE a.id = ?`), id))
	if isNoRows(err) {
		return nil, ksp.NotFound("application")
	}
	if err != nil {
		return nil, fmt.Errorf("find application: %w", err)
	}
	return a, nil
}

// FindApplications lists applications, newest first (staff).
func (db *DB) FindApplications(ctx context.Context, f ksp.ApplicationFilter) ([]*ksp.Application, string, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, "", err
	}
	where, args := "1 = 1", []any{}
	if f.Status != nil {
		where, args = "a.status = ?", []any{*f.Status}
	}
	pw, pargs, limit, err := pageQuery(f.Page, "a.id")
	if err != nil {
		return nil, "", err
	}
	rows, err := db.query(ctx, `SELECT `+appCols+` FROM applications a WHERE `+where+` AND `+pw+` ORDER BY a.id DESC LIMIT `+fmt.Sprint(limit), append(args, pargs...)...)
	if err != nil {
		return nil, "", fmt.Errorf("find applications: %w", err)
	}
	defer rows.Close()
	var out []*ksp.Application
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find applications: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find applications: %w", err)
	}
	out, next := cut(out, f.Page, func(a *ksp.Application) string { return a.ID })
	return out, next, nil
}

// ApproveApplication creates the org (with its domains, unverified), its
// first admin as an invited user, and returns the invitation. The decision's
// reason and the checklist as it stands are recorded in the audit.
func (db *DB) ApproveApplication(ctx context.Context, id string, d ksp.Decision) (*ksp.Approval, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	reason, err := checkDecision(&d, false)
	if err != nil {
		return nil, err
	}
	var out ksp.Approval
	err = db.write(ctx, func(tx *Tx) error {
		a, err := db.findApp(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status != ksp.AppPending {
			return ksp.Errorf(ksp.ECONFLICT, "application is already %s", a.Status)
		}
		if err := tx.tickChecklist(a, d.Checklist); err != nil {
			return err
		}
		o := &ksp.Org{Name: a.OrgName, Kind: a.Kind, Size: a.Size, Website: a.Website}
		for _, d := range a.Domains {
			o.Domains = append(o.Domains, ksp.Domain{Domain: d})
		}
		if err := tx.createOrg(o); err != nil {
			return err
		}
		u, inv, err := tx.createUser(o.ID, ksp.NewUser{Email: a.ContactEmail, Name: a.ContactName, Role: ksp.RoleAdmin})
		if err != nil {
			return err
		}
		a.Status, a.OrgID, a.DecisionReason = ksp.AppApproved, o.ID, reason
		a.Decided = &tx.now
		if _, err := tx.exec(`UPDATE applications SET status = ?, org_id = ?, decided_at = ?, decision_reason = ? WHERE id = ?`, a.Status, a.OrgID, micros(tx.now), reason, id); err != nil {
			return fmt.Errorf("approve application: %w", err)
		}
		if err := tx.audit("application.approve", "application:"+id, o.ID, decisionDetails(a)); err != nil {
			return err
		}
		out = ksp.Approval{Application: a, Org: o, Admin: u, Invitation: inv}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RejectApplication closes an application with a reason, which the
// applicant is sent and the audit records with the checklist.
func (db *DB) RejectApplication(ctx context.Context, id string, d ksp.Decision) (*ksp.Application, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	reason, err := checkDecision(&d, true)
	if err != nil {
		return nil, err
	}
	var out *ksp.Application
	err = db.write(ctx, func(tx *Tx) error {
		a, err := db.findApp(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status != ksp.AppPending {
			return ksp.Errorf(ksp.ECONFLICT, "application is already %s", a.Status)
		}
		if err := tx.tickChecklist(a, d.Checklist); err != nil {
			return err
		}
		a.Status, a.Reason, a.DecisionReason, a.Decided = ksp.AppRejected, reason, reason, &tx.now
		if _, err := tx.exec(`UPDATE applications SET status = ?, reason = ?, decision_reason = ?, decided_at = ? WHERE id = ?`, a.Status, a.Reason, reason, micros(tx.now), id); err != nil {
			return fmt.Errorf("reject application: %w", err)
		}
		out = a
		return tx.audit("application.reject", "application:"+id, "", decisionDetails(a))
	})
	return out, err
}
