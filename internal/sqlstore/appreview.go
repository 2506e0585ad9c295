package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

// Staff's review of an application: notes, the checklist, and what a
// decision records. Everything here is staff only, as applications are.

// checkDecision validates a decision and returns its trimmed reason; the
// reason is required when required (a rejection: the applicant is told).
func checkDecision(d *ksp.Decision, required bool) (string, error) {
	var f ksp.Fields
	reason := strings.TrimSpace(d.Reason)
	switch {
	case reason == "" && required:
		f.Add("reason", "required, at most 10000 characters")
	case len(reason) > 10000:
		f.Add("reason", "at most 10000 characters")
	}
	ksp.ValidateChecklist(d.Checklist, &f)
	if err := f.Err(); err != nil {
		if required && reason == "" {
			err.(*ksp.Error).Message = "give the applicant a reason"
		}
		return "", err
	}
	return reason, nil
}

// decisionDetails is what a decision's audit event records: the reason and
// every checklist item as ticked or not.
func decisionDetails(a *ksp.Application) map[string]any {
	checks := map[string]any{}
	for _, it := range ksp.ChecklistItems {
		checks[it] = a.Checklist[it] != nil
	}
	return map[string]any{"reason": a.DecisionReason, "checklist": checks}
}

// actorName returns the signed-in user's name, or "" for another actor.
func (tx *Tx) actorName() (string, error) {
	a := ksp.ActorFrom(tx.ctx)
	if a == nil || a.UserID == "" {
		return "", nil
	}
	var name string
	err := tx.queryRow(`SELECT name FROM users WHERE id = ?`, a.UserID).Scan(&name)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("actor name: %w", err)
	}
	return name, nil
}

// tickChecklist applies ticks to a's checklist, stores it and audits what
// changed (a tick already there keeps who made it and when).
func (tx *Tx) tickChecklist(a *ksp.Application, ticks map[string]bool) error {
	if len(ticks) == 0 {
		return nil
	}
	if a.Checklist == nil {
		a.Checklist = map[string]*ksp.CheckTick{}
	}
	name, err := tx.actorName()
	if err != nil {
		return err
	}
	var ticked, unticked []string
	for _, it := range ksp.ChecklistItems {
		on, named := ticks[it]
		switch {
		case !named:
		case on && a.Checklist[it] == nil:
			a.Checklist[it] = &ksp.CheckTick{By: ksp.ActorFrom(tx.ctx).AuditName(), Name: name, At: tx.now}
			ticked = append(ticked, it)
		case !on && a.Checklist[it] != nil:
			delete(a.Checklist, it)
			unticked = append(unticked, it)
		}
	}
	if len(ticked)+len(unticked) == 0 {
		return nil
	}
	js, err := json.Marshal(a.Checklist)
	if err != nil {
		return fmt.Errorf("application checklist: %w", err)
	}
	if _, err := tx.exec(`UPDATE applications SET checklist = ? WHERE id = ?`, string(js), a.ID); err != nil {
		return fmt.Errorf("application checklist: %w", err)
	}
	return tx.audit("application.checklist", "application:"+a.ID, "", map[string]any{"ticked": listOrEmpty(ticked), "unticked": listOrEmpty(unticked)})
}

func listOrEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// UpdateApplicationChecklist ticks or unticks items of a pending
// application's checklist; each change is audited with who made it.
func (db *DB) UpdateApplicationChecklist(ctx context.Context, id string, ticks map[string]bool) (*ksp.Application, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	var f ksp.Fields
	ksp.ValidateChecklist(ticks, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	var out *ksp.Application
	err := db.write(ctx, func(tx *Tx) error {
		a, err := db.findApp(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status != ksp.AppPending {
			return ksp.Errorf(ksp.ECONFLICT, "application is already %s: its checklist is closed", a.Status)
		}
		out = a
		return tx.tickChecklist(a, ticks)
	})
	return out, err
}

// AddApplicationNote keeps a staff note with an application, decided or
// not. The note's text stays out of the audit chain's hashed fields (it is
// in the erasable details).
func (db *DB) AddApplicationNote(ctx context.Context, appID, body string) (*ksp.ApplicationNote, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "write the note", Fields: []ksp.FieldError{{Field: "body", Reason: "required"}}}
	case len(body) > ksp.MaxNoteLen:
		return nil, &ksp.Error{Code: ksp.EINVALID, Message: "the note is too long", Fields: []ksp.FieldError{{Field: "body", Reason: "at most 10000 characters"}}}
	}
	n := &ksp.ApplicationNote{ID: ksp.NewID(), ApplicationID: appID, Author: a.AuditName(), Body: body}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := db.findApp(ctx, tx, appID); err != nil {
			return err
		}
		if n.AuthorName, err = tx.actorName(); err != nil {
			return err
		}
		n.Created = tx.now
		if _, err := tx.exec(`INSERT INTO application_notes (id, application_id, author_id, author, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			n.ID, appID, a.UserID, n.Author, body, micros(tx.now)); err != nil {
			return fmt.Errorf("add application note: %w", err)
		}
		return tx.audit("application.note", "application:"+appID, "", map[string]any{"note_id": n.ID, "body": body})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// FindApplicationNotes returns an application's notes, oldest first, each
// with its author's current name.
func (db *DB) FindApplicationNotes(ctx context.Context, appID string) ([]*ksp.ApplicationNote, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	if _, err := db.findApp(ctx, db.sql, appID); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT n.id, n.application_id, n.author, COALESCE(u.name, ''), n.body, n.created_at
		FROM application_notes n LEFT JOIN users u ON u.id = n.author_id WHERE n.application_id = ? ORDER BY n.created_at, n.id`, appID)
	if err != nil {
		return nil, fmt.Errorf("find application notes: %w", err)
	}
	defer rows.Close()
	out := []*ksp.ApplicationNote{}
	for rows.Next() {
		var n ksp.ApplicationNote
		var t int64
		if err := rows.Scan(&n.ID, &n.ApplicationID, &n.Author, &n.AuthorName, &n.Body, &t); err != nil {
			return nil, fmt.Errorf("find application notes: %w", err)
		}
		n.Created = fromMicros(t)
		out = append(out, &n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find application notes: %w", err)
	}
	return slices.Clip(out), nil
}
