package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kspplatform/ksp"
)

// Cases are the second exception to "staff see everything": a case is the
// platform's own moderation work, read only by its own org. caseActor
// returns the actor if it may read its org's cases; staff and suspended
// orgs read none (ENOTFOUND on any case, empty lists).
func caseActor(ctx context.Context) (*ksp.Actor, bool, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, false, err
	}
	return a, !a.Staff && !a.Suspended, nil
}

// caseWriter returns the actor if it may open, assign and decide its org's
// cases: an analyst of a member org in good standing.
func caseWriter(ctx context.Context) (*ksp.Actor, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	if a.Staff {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "review cases belong to member organisations; staff see only their counts")
	}
	return a, nil
}

const caseCols = `c.id, c.org_id, c.content_ref, c.content_type, c.status, c.assigned_to, c.created_at, c.updated_at,
	c.preserve_until, c.legal_hold, c.ref_erased_at`

func scanCase(sc interface{ Scan(...any) error }) (*ksp.Case, error) {
	var c ksp.Case
	var created, updated int64
	var preserve, erased sql.NullInt64
	if err := sc.Scan(&c.ID, &c.OrgID, &c.ContentRef, &c.ContentType, &c.Status, &c.AssignedTo, &created, &updated,
		&preserve, &c.LegalHold, &erased); err != nil {
		return nil, err
	}
	c.Created, c.Updated = fromMicros(created), fromMicros(updated)
	c.PreserveUntil, c.RefErased = ptrTime(preserve), ptrTime(erased)
	c.Matches = []*ksp.CaseMatch{}
	return &c, nil
}

// loadCase returns the org's case, or ENOTFOUND.
func (db *DB) loadCase(ctx context.Context, q querier, orgID, id string) (*ksp.Case, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("case")
	}
	c, err := scanCase(q.QueryRowContext(ctx, db.rebind(`SELECT `+caseCols+` FROM cases c WHERE c.id = ? AND c.org_id = ?`), id, orgID))
	if isNoRows(err) {
		return nil, ksp.NotFound("case")
	}
	if err != nil {
		return nil, fmt.Errorf("find case: %w", err)
	}
	return c, nil
}

// fillCaseMatches adds to each case the signals its org may see now, each
// as the org sees it, and the priority computed over them. A signal that
// is no longer visible to the org, or retracted for it, is left out.
func (db *DB) fillCaseMatches(ctx context.Context, q querier, v ksp.Viewer, cases []*ksp.Case) error {
	if len(cases) == 0 {
		return nil
	}
	byID := make(map[string]*ksp.Case, len(cases))
	args := make([]any, 0, len(cases))
	marks := ""
	for i, c := range cases {
		byID[c.ID] = c
		args = append(args, c.ID)
		if i > 0 {
			marks += ", "
		}
		marks += "?"
	}
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT case_id, signal_id, type, distance, matched_at, verdict FROM case_matches
		WHERE case_id IN (`+marks+`) ORDER BY case_id, distance, signal_id`), args...)
	if err != nil {
		return fmt.Errorf("case matches: %w", err)
	}
	type row struct {
		caseID string
		m      ksp.CaseMatch
	}
	var list []row
	var ids []string
	for rows.Next() {
		var r row
		var at int64
		if err := rows.Scan(&r.caseID, &r.m.SignalID, &r.m.Type, &r.m.Distance, &at, &r.m.Verdict); err != nil {
			rows.Close()
			return fmt.Errorf("case matches: %w", err)
		}
		r.m.FirstSeen = fromMicros(at)
		list = append(list, r)
		ids = append(ids, r.m.SignalID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("case matches: %w", err)
	}
	slices.Sort(ids)
	states, err := db.loadStates(ctx, q, slices.Compact(ids))
	if err != nil {
		return err
	}
	for _, r := range list {
		st := states[r.m.SignalID]
		if st == nil {
			continue
		}
		sig := st.View(v, true)
		if sig == nil || sig.Status == ksp.StatusRetracted {
			continue
		}
		m := r.m
		m.Type, m.Labels, m.EntityIDs, m.Severity, m.Confidence = sig.Type, sig.Labels, sig.EntityIDs, sig.Severity, sig.Confidence
		m.Status, m.Actionable, m.NotActionable = sig.Status, sig.Actionable, sig.NotActionable
		m.Basis = []string{}
		for _, d := range sig.Details {
			if d.Basis != "" && !slices.Contains(m.Basis, d.Basis) {
				m.Basis = append(m.Basis, d.Basis)
			}
		}
		slices.Sort(m.Basis)
		c := byID[r.caseID]
		c.Matches = append(c.Matches, &m)
	}
	for _, c := range cases {
		c.Priority = ksp.CasePriority(c.Matches)
	}
	return nil
}

// fillCaseDecisions adds the decisions (all of them when full, else the
// current one) and, when full, the history.
func (db *DB) fillCaseDecisions(ctx context.Context, q querier, c *ksp.Case, full bool) error {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT id, decision, policy_clause, note, reviewer_id, distance, verdict, decided_at, statement
		FROM case_decisions WHERE case_id = ? ORDER BY decided_at, id`), c.ID)
	if err != nil {
		return fmt.Errorf("case decisions: %w", err)
	}
	var all []*ksp.CaseDecision
	for rows.Next() {
		var d ksp.CaseDecision
		var at int64
		var stmt string
		if err := rows.Scan(&d.ID, &d.Decision, &d.PolicyClause, &d.Note, &d.ReviewerID, &d.Distance, &d.Verdict, &at, &stmt); err != nil {
			rows.Close()
			return fmt.Errorf("case decisions: %w", err)
		}
		d.Time = fromMicros(at)
		if stmt != "" {
			d.Statement = new(ksp.StatementOfReasons)
			if err := jsonUnmarshal(stmt, d.Statement); err != nil {
				rows.Close()
				return fmt.Errorf("case statement: %w", err)
			}
		}
		all = append(all, &d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("case decisions: %w", err)
	}
	if n := len(all); n > 0 {
		c.Decision = all[n-1]
		c.StatementOfReasons = c.Decision.Statement
	}
	if !full {
		return nil
	}
	c.Decisions = all
	hrows, err := q.QueryContext(ctx, db.rebind(`SELECT time, type, actor, note FROM case_history WHERE case_id = ? ORDER BY seq`), c.ID)
	if err != nil {
		return fmt.Errorf("case history: %w", err)
	}
	defer hrows.Close()
	for hrows.Next() {
		var e ksp.CaseHistoryEntry
		var t int64
		if err := hrows.Scan(&t, &e.Type, &e.Actor, &e.Note); err != nil {
			return fmt.Errorf("case history: %w", err)
		}
		e.Time = fromMicros(t)
		c.History = append(c.History, &e)
	}
	return hrows.Err()
}

// FindCaseByID returns a case of the actor's org with its matches (as the
// org sees the signals now), decisions and history.
func (db *DB) FindCaseByID(ctx context.Context, id string) (*ksp.Case, error) {
	a, ok, err := caseActor(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ksp.NotFound("case")
	}
	return db.readCase(ctx, db.sql, a, id)
}

func (db *DB) readCase(ctx context.Context, q querier, a *ksp.Actor, id string) (*ksp.Case, error) {
	c, err := db.loadCase(ctx, q, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	if err := db.fillCaseMatches(ctx, q, a.Viewer(), []*ksp.Case{c}); err != nil {
		return nil, err
	}
	if err := db.fillCaseDecisions(ctx, q, c, true); err != nil {
		return nil, err
	}
	return c, nil
}

// FindCases lists the actor's org's cases, newest first.
func (db *DB) FindCases(ctx context.Context, f ksp.CaseFilter) ([]*ksp.Case, string, error) {
	a, ok, err := caseActor(ctx)
	if err != nil {
		return nil, "", err
	}
	var fe ksp.Fields
	if f.Status != nil && *f.Status != ksp.CaseOpen && *f.Status != ksp.CaseDecided {
		fe.Add("status", "must be open or decided")
	}
	if f.Decision != nil && !slices.Contains(ksp.Decisions, *f.Decision) {
		fe.Add("decision", "must be one of remove, restrict, keep, escalate")
	}
	if f.AssignedTo != nil && *f.AssignedTo != "none" && !ksp.ValidID(*f.AssignedTo) {
		fe.Add("assigned_to", "must be a user id or none")
	}
	if err := fe.Err(); err != nil {
		return nil, "", err
	}
	if !ok {
		return []*ksp.Case{}, "", nil
	}
	where, args := "c.org_id = ?", []any{a.OrgID}
	if f.Status != nil {
		where += " AND c.status = ?"
		args = append(args, *f.Status)
	}
	if f.Decision != nil {
		where += " AND c.decision = ?"
		args = append(args, *f.Decision)
	}
	if f.AssignedTo != nil {
		where += " AND c.assigned_to = ?"
		if *f.AssignedTo == "none" {
			args = append(args, "")
		} else {
			args = append(args, *f.AssignedTo)
		}
	}
	if f.Preserved {
		where += " AND c.preserve_until IS NOT NULL AND c.ref_erased_at IS NULL"
	}
	pw, pargs, limit, err := pageQuery(f.Page, "c.id")
	if err != nil {
		return nil, "", err
	}
	args = append(append(args, pargs...), limit)
	rows, err := db.query(ctx, `SELECT `+caseCols+` FROM cases c WHERE `+where+` AND `+pw+` ORDER BY c.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("find cases: %w", err)
	}
	var out []*ksp.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("find cases: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find cases: %w", err)
	}
	out, next := cut(out, f.Page, func(c *ksp.Case) string { return c.ID })
	if err := db.fillCaseMatches(ctx, db.sql, a.Viewer(), out); err != nil {
		return nil, "", err
	}
	for _, c := range out {
		if err := db.fillCaseDecisions(ctx, db.sql, c, false); err != nil {
			return nil, "", err
		}
	}
	if out == nil {
		out = []*ksp.Case{}
	}
	return out, next, nil
}

// lockCase takes the case's row lock for the rest of the transaction
// (a no-op update, portable to both databases), so that concurrent writes
// to one case queue up instead of racing for its history's sequence.
func (tx *Tx) lockCase(id string) error {
	if _, err := tx.exec(`UPDATE cases SET updated_at = updated_at WHERE id = ?`, id); err != nil {
		return fmt.Errorf("lock case: %w", err)
	}
	return nil
}

// addCaseHistory appends an entry to a case's history.
func (tx *Tx) addCaseHistory(caseID, typ, actor, note string) error {
	var seq int64
	if err := tx.queryRow(`SELECT COALESCE(MAX(seq), 0) + 1 FROM case_history WHERE case_id = ?`, caseID).Scan(&seq); err != nil {
		return fmt.Errorf("case history: %w", err)
	}
	if _, err := tx.exec(`INSERT INTO case_history (case_id, seq, time, type, actor, note) VALUES (?, ?, ?, ?, ?, ?)`,
		caseID, seq, micros(tx.now), typ, actor, note); err != nil {
		return fmt.Errorf("case history: %w", err)
	}
	return nil
}

// caseEventData is what a case.created event carries: no content
// reference and no signal, only what the org's own feed needs to fetch the
// case.
type caseEventData struct {
	ID       string   `json:"id"`
	Status   string   `json:"status"`
	Priority int      `json:"priority"`
	Matches  int      `json:"matches"`
	Created  ksp.Time `json:"created_at"`
}

// OpenCase opens a case for a content reference of the actor's org, or
// adds the matches to the case it already has for that reference. Every
// signal must be one the org may see (others are refused as unknown, the
// same answer as for an id that does not exist), and at least one must be
// actionable for it. A decided case that matches a signal it did not have
// is reopened for review.
func (db *DB) OpenCase(ctx context.Context, in ksp.CaseInput) (*ksp.Case, bool, error) {
	a, err := caseWriter(ctx)
	if err != nil {
		return nil, false, err
	}
	var f ksp.Fields
	in.Normalize(&f)
	if err := f.Err(); err != nil {
		return nil, false, err
	}
	v := a.Viewer()
	ids := make([]string, 0, len(in.Matches))
	for _, m := range in.Matches {
		if ksp.ValidID(m.SignalID) {
			ids = append(ids, m.SignalID)
		}
	}
	slices.Sort(ids)
	states, err := db.loadStates(ctx, db.sql, slices.Compact(ids))
	if err != nil {
		return nil, false, err
	}
	type match struct {
		id, typ  string
		distance int
		sig      *ksp.Signal
	}
	var matches []match
	seen := map[string]int{}
	actionable := false
	for i, m := range in.Matches {
		var sig *ksp.Signal
		if st := states[m.SignalID]; st != nil {
			sig = st.View(v, false)
		}
		if sig == nil || sig.Status == ksp.StatusRetracted {
			f.Add("matches["+strconv.Itoa(i)+"].signal_id", "no such signal")
			continue
		}
		if sig.Type != ksp.TypePDQ && m.Distance != 0 {
			f.Add("matches["+strconv.Itoa(i)+"].distance", "must be 0 for an exact "+sig.Type+" match")
			continue
		}
		actionable = actionable || sig.Actionable
		if j, ok := seen[sig.ID]; ok {
			matches[j].distance = min(matches[j].distance, m.Distance)
			continue
		}
		seen[sig.ID] = len(matches)
		matches = append(matches, match{id: sig.ID, typ: sig.Type, distance: m.Distance, sig: sig})
	}
	if err := f.Err(); err != nil {
		return nil, false, err
	}
	if !actionable {
		return nil, false, &ksp.Error{Code: ksp.EINVALID, Message: "no match is actionable",
			Fields: []ksp.FieldError{{Field: "matches", Reason: "none of the signals is actionable for your organisation: only actionable matches open cases"}}}
	}
	contentType := in.ContentType
	if contentType == "" {
		best := -1
		for _, m := range matches {
			p := ksp.SeverityPoints(m.sig.Severity)
			if len(m.sig.ContentTypes) > 0 && (contentType == "" || p > best) {
				contentType, best = m.sig.ContentTypes[0], p
			}
		}
	}
	var id string
	var created bool
	err = db.write(ctx, func(tx *Tx) error {
		id, created = ksp.NewID(), false
		res, err := tx.exec(`INSERT INTO cases (id, org_id, content_ref, content_type, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id, content_ref) WHERE content_ref <> '' DO NOTHING`,
			id, a.OrgID, in.ContentRef, contentType, ksp.CaseOpen, micros(tx.now), micros(tx.now))
		if err != nil {
			return fmt.Errorf("open case: %w", err)
		}
		var status string
		if n, _ := res.RowsAffected(); n == 1 {
			created, status = true, ksp.CaseOpen
		} else {
			if err := tx.queryRow(`SELECT id FROM cases WHERE org_id = ? AND content_ref = ?`, a.OrgID, in.ContentRef).Scan(&id); err != nil {
				return fmt.Errorf("open case: %w", err)
			}
			if err := tx.lockCase(id); err != nil {
				return err
			}
			if err := tx.queryRow(`SELECT status FROM cases WHERE id = ?`, id).Scan(&status); err != nil {
				return fmt.Errorf("open case: %w", err)
			}
		}
		added := 0
		for _, m := range matches {
			res, err := tx.exec(`INSERT INTO case_matches (case_id, signal_id, type, distance, matched_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (case_id, signal_id) DO NOTHING`, id, m.id, m.typ, m.distance, micros(tx.now))
			if err != nil {
				return fmt.Errorf("case match: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				added++
				continue
			}
			if _, err := tx.exec(`UPDATE case_matches SET distance = ? WHERE case_id = ? AND signal_id = ? AND distance > ?`, m.distance, id, m.id, m.distance); err != nil {
				return fmt.Errorf("case match: %w", err)
			}
		}
		who := a.AuditName()
		switch {
		case created:
			if err := tx.addCaseHistory(id, ksp.CaseHistoryOpened, who, strconv.Itoa(added)+" signal(s) matched"); err != nil {
				return err
			}
			if err := tx.audit("case.open", "case:"+id, a.OrgID, map[string]any{"matches": added}); err != nil {
				return err
			}
			sigs := make([]*ksp.CaseMatch, 0, len(matches))
			for _, m := range matches {
				sigs = append(sigs, &ksp.CaseMatch{Severity: m.sig.Severity, Confidence: m.sig.Confidence})
			}
			// Owner-only and RED: the event reaches the org's own feed and
			// webhooks and no other member's.
			_, err := tx.appendEvent(ksp.EventCaseCreated, id, ksp.Sharing{OwnerOrgID: a.OrgID, Distribution: ksp.DistOwner, TLP: ksp.TLPRed},
				caseEventData{ID: id, Status: ksp.CaseOpen, Priority: ksp.CasePriority(sigs), Matches: added, Created: tx.now})
			return err
		case added == 0:
			return nil // the same matches again: nothing changes
		case status == ksp.CaseDecided:
			if _, err := tx.exec(`UPDATE cases SET status = ?, updated_at = ? WHERE id = ?`, ksp.CaseOpen, micros(tx.now), id); err != nil {
				return fmt.Errorf("reopen case: %w", err)
			}
			if err := tx.addCaseHistory(id, ksp.CaseHistoryReopened, who, strconv.Itoa(added)+" new signal(s) matched"); err != nil {
				return err
			}
		default:
			if _, err := tx.exec(`UPDATE cases SET updated_at = ? WHERE id = ?`, micros(tx.now), id); err != nil {
				return fmt.Errorf("update case: %w", err)
			}
			if err := tx.addCaseHistory(id, ksp.CaseHistoryMatched, who, strconv.Itoa(added)+" new signal(s) matched"); err != nil {
				return err
			}
		}
		return tx.audit("case.match", "case:"+id, a.OrgID, map[string]any{"added": added})
	})
	if err != nil {
		return nil, false, err
	}
	c, err := db.readCase(ctx, db.sql, a, id)
	return c, created, err
}

// AssignCase assigns a case to an active user of the org, or unassigns it
// (userID "").
func (db *DB) AssignCase(ctx context.Context, id, userID string) (*ksp.Case, error) {
	a, err := caseWriter(ctx)
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := db.loadCase(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		if err := tx.lockCase(id); err != nil {
			return err
		}
		if userID != "" {
			var n int
			if ksp.ValidID(userID) {
				if err := tx.queryRow(`SELECT COUNT(*) FROM users WHERE id = ? AND org_id = ? AND status = ?`, userID, a.OrgID, ksp.UserActive).Scan(&n); err != nil {
					return fmt.Errorf("assign case: %w", err)
				}
			}
			if n == 0 {
				return &ksp.Error{Code: ksp.EINVALID, Message: "invalid assignee", Fields: []ksp.FieldError{{Field: "user_id", Reason: "not an active user of your organisation"}}}
			}
		}
		if _, err := tx.exec(`UPDATE cases SET assigned_to = ?, updated_at = ? WHERE id = ?`, userID, micros(tx.now), id); err != nil {
			return fmt.Errorf("assign case: %w", err)
		}
		if err := tx.addCaseHistory(id, ksp.CaseHistoryAssigned, a.AuditName(), userID); err != nil {
			return err
		}
		return tx.audit("case.assign", "case:"+id, a.OrgID, map[string]any{"user_id": userID})
	})
	if err != nil {
		return nil, err
	}
	return db.readCase(ctx, db.sql, a, id)
}

// DecideCase records a reviewer's decision. Remove, restrict and keep
// decide the case; escalate records the escalation and leaves it open for
// a final decision. The decision is committed first; then the verdict goes
// to the bank through the feedback service, as the reviewer, for each
// signal the org still sees on the case (so the verdict is about what it
// sees, as every verdict is).
func (db *DB) DecideCase(ctx context.Context, id string, in ksp.DecisionInput) (*ksp.Case, error) {
	a, err := caseWriter(ctx)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	in.Normalize(&f)
	var signals []string
	verdict := ksp.DecisionVerdict(in.Decision)
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := db.loadCase(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		if err := f.Err(); err != nil {
			return err
		}
		// Locked, then read again: of two reviewers deciding at once, the
		// second sees the first's decision.
		if err := tx.lockCase(id); err != nil {
			return err
		}
		c, err := db.loadCase(ctx, tx, a.OrgID, id)
		if err != nil {
			return err
		}
		if c.Status == ksp.CaseDecided {
			return &ksp.Error{Code: ksp.ECONFLICT, Message: "the case is already decided", Fields: []ksp.FieldError{{Field: "decision", Reason: "already decided"}}}
		}
		if c.RefErased != nil {
			return &ksp.Error{Code: ksp.ECONFLICT, Message: "the case's content reference was erased", Fields: []ksp.FieldError{{Field: "decision", Reason: "reference erased"}}}
		}
		if err := db.fillCaseMatches(ctx, tx, a.Viewer(), []*ksp.Case{c}); err != nil {
			return err
		}
		if len(c.Matches) == 0 {
			return &ksp.Error{Code: ksp.ECONFLICT, Message: "no signal on the case is visible to your organisation any more",
				Fields: []ksp.FieldError{{Field: "decision", Reason: "nothing left to decide on"}}}
		}
		distance := c.Matches[0].Distance
		for _, m := range c.Matches {
			distance = min(distance, m.Distance)
			signals = append(signals, m.SignalID)
		}
		decID := ksp.NewID()
		stmt := ""
		if s := ksp.NewStatementOfReasons(c.ID, decID, c.ContentType, c.Created.Time, in, tx.now.Time); s != nil {
			stmt = jsonList(s)
		}
		reviewer := a.UserID
		if reviewer == "" {
			reviewer = a.AuditName()
		}
		if _, err := tx.exec(`INSERT INTO case_decisions (id, case_id, decision, policy_clause, note, reviewer_id, distance, verdict, decided_at, statement)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, decID, id, in.Decision, in.PolicyClause, in.Note, reviewer, distance, verdict, micros(tx.now), stmt); err != nil {
			return fmt.Errorf("decide case: %w", err)
		}
		status, preserve := ksp.CaseDecided, any(nil)
		switch in.Decision {
		case ksp.DecisionEscalate:
			status = ksp.CaseOpen
		case ksp.DecisionRemove:
			preserve = micros(tx.now.AddDate(0, ksp.PreservationMonths, 0))
		}
		if _, err := tx.exec(`UPDATE cases SET status = ?, decision = ?, decided_at = ?, preserve_until = ?, reminded_at = NULL, updated_at = ? WHERE id = ?`,
			status, in.Decision, micros(tx.now), preserve, micros(tx.now), id); err != nil {
			return fmt.Errorf("decide case: %w", err)
		}
		if err := tx.addCaseHistory(id, ksp.CaseHistoryDecided, a.AuditName(), in.Decision); err != nil {
			return err
		}
		return tx.audit("case.decide", "case:"+id, a.OrgID, map[string]any{"decision": in.Decision, "policy_clause": in.PolicyClause, "note": in.Note})
	})
	if err != nil {
		return nil, err
	}
	if verdict != "" {
		// The comment names no policy clause and no reference: those stay
		// with the case, which only the org sees.
		comment := "decided in a review case: " + in.Decision
		for _, sid := range signals {
			_, err := db.GiveFeedback(ctx, sid, ksp.FeedbackInput{Verdict: verdict, Comment: comment})
			note := sid + ": " + verdict
			switch {
			case ksp.ErrorCode(err) == ksp.ENOTFOUND:
				// Narrowed away between the decision and now: the verdict
				// would be about nothing the org sees.
				err = db.write(ctx, func(tx *Tx) error {
					if err := tx.lockCase(id); err != nil {
						return err
					}
					return tx.addCaseHistory(id, ksp.CaseHistorySkipped, a.AuditName(), sid+": no longer visible")
				})
			case err != nil:
				return nil, fmt.Errorf("case %s decided, but posting feedback on signal %s failed: %w", id, sid, err)
			default:
				err = db.write(ctx, func(tx *Tx) error {
					if err := tx.lockCase(id); err != nil {
						return err
					}
					if _, err := tx.exec(`UPDATE case_matches SET verdict = ? WHERE case_id = ? AND signal_id = ?`, verdict, id, sid); err != nil {
						return fmt.Errorf("case feedback: %w", err)
					}
					return tx.addCaseHistory(id, ksp.CaseHistoryFeedback, a.AuditName(), note)
				})
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return db.readCase(ctx, db.sql, a, id)
}

// SetCaseLegalHold keeps a removed case's evidence (and content reference)
// past its preservation date, or lets it lapse again.
func (db *DB) SetCaseLegalHold(ctx context.Context, id string, hold bool) (*ksp.Case, error) {
	a, err := caseWriter(ctx)
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := db.loadCase(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		if err := tx.lockCase(id); err != nil {
			return err
		}
		c, err := db.loadCase(ctx, tx, a.OrgID, id)
		if err != nil {
			return err
		}
		if c.PreserveUntil == nil || c.RefErased != nil {
			return &ksp.Error{Code: ksp.EINVALID, Message: "nothing preserved", Fields: []ksp.FieldError{{Field: "legal_hold", Reason: "only a removed case whose evidence is still preserved can be held"}}}
		}
		if _, err := tx.exec(`UPDATE cases SET legal_hold = ?, updated_at = ? WHERE id = ?`, hold, micros(tx.now), id); err != nil {
			return fmt.Errorf("legal hold: %w", err)
		}
		if err := tx.addCaseHistory(id, ksp.CaseHistoryLegalHold, a.AuditName(), strconv.FormatBool(hold)); err != nil {
			return err
		}
		return tx.audit("case.legal_hold", "case:"+id, a.OrgID, map[string]any{"hold": hold})
	})
	if err != nil {
		return nil, err
	}
	return db.readCase(ctx, db.sql, a, id)
}

// FindStatements returns the org's statements of reasons decided in
// [from, to), oldest first.
func (db *DB) FindStatements(ctx context.Context, from, to time.Time) ([]*ksp.StatementOfReasons, error) {
	a, ok, err := caseActor(ctx)
	if err != nil {
		return nil, err
	}
	out := []*ksp.StatementOfReasons{}
	if !ok {
		return out, nil
	}
	rows, err := db.query(ctx, `SELECT d.statement FROM case_decisions d JOIN cases c ON c.id = d.case_id
		WHERE c.org_id = ? AND d.statement <> '' AND d.decided_at >= ? AND d.decided_at < ? ORDER BY d.decided_at, d.id`,
		a.OrgID, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("find statements: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var js string
		if err := rows.Scan(&js); err != nil {
			return nil, fmt.Errorf("find statements: %w", err)
		}
		var s ksp.StatementOfReasons
		if err := jsonUnmarshal(js, &s); err != nil {
			return nil, fmt.Errorf("find statements: %w", err)
		}
		out = append(out, &s)
	}
	return out, rows.Err()
}

// CountCases counts cases: members count their own org's; staff count
// every org's (orgID "") or one org's, the only view of cases staff have.
func (db *DB) CountCases(ctx context.Context, orgID string) (*ksp.CaseCounts, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	where, args := "1 = 1", []any{}
	switch {
	case a.Staff && orgID == "":
	case a.Staff:
		where, args = "org_id = ?", []any{orgID}
	case orgID != "" && orgID != a.OrgID:
		return nil, ksp.NotFound("organisation")
	case a.Suspended:
		where = "1 = 0"
	default:
		where, args = "org_id = ?", []any{a.OrgID}
	}
	rows, err := db.query(ctx, `SELECT status, decision, preserve_until IS NOT NULL AND ref_erased_at IS NULL, ref_erased_at IS NOT NULL, COUNT(*)
		FROM cases WHERE `+where+` GROUP BY status, decision, preserve_until IS NOT NULL AND ref_erased_at IS NULL, ref_erased_at IS NOT NULL`, args...)
	if err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	defer rows.Close()
	out := &ksp.CaseCounts{ByDecision: map[string]int{}}
	for rows.Next() {
		var status, decision string
		var preserved, erased bool
		var n int
		if err := rows.Scan(&status, &decision, &preserved, &erased, &n); err != nil {
			return nil, fmt.Errorf("count cases: %w", err)
		}
		if status == ksp.CaseOpen {
			out.Open += n
		} else {
			out.Decided += n
		}
		if decision != "" {
			out.ByDecision[decision] += n
		}
		if preserved {
			out.Preserved += n
		}
		if erased {
			out.Erased += n
		}
	}
	return out, rows.Err()
}

// DuePreservationReminders returns removed cases whose preservation lapses
// before now+lead, not on legal hold and not yet reminded, with the
// addresses of the reviewer and the org's admins (system).
func (db *DB) DuePreservationReminders(ctx context.Context, now time.Time, lead time.Duration) ([]*ksp.PreservationReminder, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT id, org_id, preserve_until FROM cases WHERE preserve_until IS NOT NULL AND preserve_until < ?
		AND reminded_at IS NULL AND ref_erased_at IS NULL AND legal_hold = ? ORDER BY preserve_until, id LIMIT 1000`, micros(now.Add(lead)), false)
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	var out []*ksp.PreservationReminder
	for rows.Next() {
		var r ksp.PreservationReminder
		var until int64
		if err := rows.Scan(&r.CaseID, &r.OrgID, &until); err != nil {
			rows.Close()
			return nil, fmt.Errorf("due reminders: %w", err)
		}
		r.PreserveUntil = fromMicros(until)
		out = append(out, &r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	for _, r := range out {
		erows, err := db.query(ctx, `SELECT DISTINCT u.email FROM users u WHERE u.org_id = ? AND u.status = ? AND (u.role = ?
			OR u.id IN (SELECT reviewer_id FROM case_decisions WHERE case_id = ? AND decision = ?)) ORDER BY u.email`,
			r.OrgID, ksp.UserActive, string(ksp.RoleAdmin), r.CaseID, ksp.DecisionRemove)
		if err != nil {
			return nil, fmt.Errorf("due reminders: %w", err)
		}
		for erows.Next() {
			var e string
			if err := erows.Scan(&e); err != nil {
				erows.Close()
				return nil, fmt.Errorf("due reminders: %w", err)
			}
			r.Emails = append(r.Emails, e)
		}
		erows.Close()
		if err := erows.Err(); err != nil {
			return nil, fmt.Errorf("due reminders: %w", err)
		}
	}
	return out, nil
}

// MarkPreservationReminded records that a case's reminder went out.
func (db *DB) MarkPreservationReminded(ctx context.Context, caseID string) error {
	a, err := requireStaff(ctx)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		var orgID string
		if err := tx.queryRow(`SELECT org_id FROM cases WHERE id = ?`, caseID).Scan(&orgID); err != nil {
			if isNoRows(err) {
				return ksp.NotFound("case")
			}
			return fmt.Errorf("mark reminded: %w", err)
		}
		if err := tx.lockCase(caseID); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE cases SET reminded_at = ? WHERE id = ?`, micros(tx.now), caseID); err != nil {
			return fmt.Errorf("mark reminded: %w", err)
		}
		if err := tx.addCaseHistory(caseID, ksp.CaseHistoryReminded, a.AuditName(), ""); err != nil {
			return err
		}
		return tx.audit("case.preservation_reminder", "case:"+caseID, orgID, nil)
	})
}

// EraseExpiredCaseRefs erases the content references of decided cases
// whose preservation ended before now, or, with nothing preserved, that
// were decided more than ksp.CaseRetention months before now; cases on
// legal hold are kept. Decisions, statements and counts stay.
func (db *DB) EraseExpiredCaseRefs(ctx context.Context, now time.Time) (int, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = db.write(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, org_id FROM cases WHERE status = ? AND ref_erased_at IS NULL AND legal_hold = ? AND decided_at IS NOT NULL
			AND ((preserve_until IS NOT NULL AND preserve_until < ?) OR (preserve_until IS NULL AND decided_at < ?)) ORDER BY id LIMIT 1000`,
			ksp.CaseDecided, false, micros(now), micros(now.AddDate(0, -ksp.CaseRetention, 0)))
		if err != nil {
			return fmt.Errorf("erase case references: %w", err)
		}
		var due [][2]string
		for rows.Next() {
			var id, org string
			if err := rows.Scan(&id, &org); err != nil {
				rows.Close()
				return fmt.Errorf("erase case references: %w", err)
			}
			due = append(due, [2]string{id, org})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("erase case references: %w", err)
		}
		for _, d := range due {
			if err := tx.lockCase(d[0]); err != nil {
				return err
			}
			if _, err := tx.exec(`UPDATE cases SET content_ref = '', ref_erased_at = ?, updated_at = ? WHERE id = ?`, micros(tx.now), micros(tx.now), d[0]); err != nil {
				return fmt.Errorf("erase case reference: %w", err)
			}
			if err := tx.addCaseHistory(d[0], ksp.CaseHistoryRefErased, a.AuditName(), ""); err != nil {
				return err
			}
			if err := tx.audit("case.erase_reference", "case:"+d[0], d[1], nil); err != nil {
				return err
			}
		}
		n = len(due)
		return nil
	})
	return n, err
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
