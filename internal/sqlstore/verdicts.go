package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

// GiveFeedback records the actor's org's current verdict on a signal.
func (db *DB) GiveFeedback(ctx context.Context, signalID string, in ksp.FeedbackInput) (*ksp.Signal, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	if !slices.Contains(ksp.Verdicts, in.Verdict) {
		f.Add("verdict", "must be one of "+strings.Join(ksp.Verdicts, ", "))
	}
	if len(in.Comment) > 5000 {
		f.Add("comment", "longer than 5000 characters")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		st, err := db.visibleState(ctx, tx, a, signalID)
		if err != nil {
			return err
		}
		// The verdict is about what the giver sees now; those who saw
		// what its previous verdict was about must hear of the change too.
		subjects := st.SeenBy(a.Viewer())
		touched := slices.Clone(subjects)
		for _, fb := range st.Feedback {
			if fb.OrgID == a.OrgID {
				touched = append(touched, fb.Subjects...)
			}
		}
		slices.Sort(touched)
		touched = slices.Compact(touched)
		if _, err := tx.exec(`INSERT INTO feedback (signal_id, org_id, verdict, comment, created_at, updated_at, subjects) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (signal_id, org_id) DO UPDATE SET verdict = excluded.verdict, comment = excluded.comment, updated_at = excluded.updated_at, subjects = excluded.subjects`,
			signalID, a.OrgID, in.Verdict, in.Comment, micros(tx.now), micros(tx.now), jsonList(subjects)); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		if err := tx.logVerdict(signalID, a.OrgID, "verdict", in.Verdict, in.Comment, subjects); err != nil {
			return err
		}
		if err := tx.refreshByID(signalID, touched); err != nil {
			return err
		}
		return tx.audit("signal.feedback", "signal:"+signalID, a.OrgID, map[string]any{"verdict": in.Verdict, "comment": in.Comment})
	})
	if err != nil {
		return nil, err
	}
	return db.FindSignalByID(ctx, signalID)
}

// Retract withdraws the actor's org's own submission.
func (db *DB) Retract(ctx context.Context, signalID string) (*ksp.Signal, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		st, err := db.visibleState(ctx, tx, a, signalID)
		if err != nil {
			return err
		}
		var own *ksp.Submission
		for _, s := range st.Submissions {
			if s.OrgID == a.OrgID {
				own = s
			}
		}
		if own == nil {
			return &ksp.Error{Code: ksp.EINVALID, Message: "your organisation has no submission of this signal to retract", Fields: []ksp.FieldError{{Field: "id", Reason: "no submission of yours"}}}
		}
		if own.Retracted != nil {
			return ksp.Errorf(ksp.ECONFLICT, "already retracted")
		}
		seq, err := tx.nextSeq("changes")
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE submissions SET retracted_at = ?, updated_at = ?, change_seq = ? WHERE id = ?`, micros(tx.now), micros(tx.now), seq, own.ID); err != nil {
			return fmt.Errorf("retract: %w", err)
		}
		if err := tx.tombstone(signalID, own.Sharing(), "retracted"); err != nil {
			return err
		}
		if err := tx.refreshByID(signalID, nil); err != nil {
			return err
		}
		if _, err := tx.appendEvent(ksp.EventSignalRetracted, signalID, own.Sharing(), map[string]any{"id": signalID, "type": st.Type}); err != nil {
			return err
		}
		return tx.audit("signal.retract", "signal:"+signalID, a.OrgID, nil)
	})
	if err != nil {
		return nil, err
	}
	return db.FindSignalByID(ctx, signalID)
}

// Resolve settles a dispute (staff): upheld, relabelled (with labels) or
// removed (the signal is retracted for everyone).
func (db *DB) Resolve(ctx context.Context, signalID string, in ksp.ResolveInput) (*ksp.Signal, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	if !slices.Contains(ksp.Resolutions, in.Resolution) {
		f.Add("resolution", "must be upheld, relabelled or removed")
	}
	if strings.TrimSpace(in.Reason) == "" {
		f.Add("reason", "give the reasons for the resolution")
	}
	if in.Resolution == "relabelled" {
		if len(in.Labels) == 0 {
			f.Add("labels", "relabelling needs the new labels")
		}
		for _, l := range in.Labels {
			if !slices.Contains(ksp.Labels, l) {
				f.Add("labels", "unknown label "+l)
				break
			}
		}
	} else if len(in.Labels) > 0 {
		f.Add("labels", "only with resolution relabelled")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		st, err := db.loadState(ctx, tx, signalID)
		if err != nil {
			return err
		}
		// A resolution is about every submission there is now; relabelling
		// and removal act on those submissions themselves, so that a later
		// submission is judged on its own.
		subjects := allOrgs(st)
		slices.Sort(subjects)
		labels := slices.Clone(in.Labels)
		slices.Sort(labels)
		if _, err := tx.exec(`UPDATE signals SET resolution = ?, resolution_reason = ?, resolved_at = ?, resolved_labels = ?, resolution_subjects = ? WHERE id = ?`,
			in.Resolution, in.Reason, micros(tx.now), jsonList(labels), jsonList(subjects), signalID); err != nil {
			return fmt.Errorf("resolve: %w", err)
		}
		if err := tx.logVerdict(signalID, a.OrgID, "resolution", in.Resolution, in.Reason, subjects); err != nil {
			return err
		}
		switch in.Resolution {
		case "removed":
			for _, s := range st.Submissions {
				if s.Retracted != nil {
					continue
				}
				if _, err := tx.exec(`UPDATE submissions SET retracted_at = ? WHERE id = ?`, micros(tx.now), s.ID); err != nil {
					return fmt.Errorf("resolve: %w", err)
				}
				if err := tx.tombstone(signalID, s.Sharing(), "removed"); err != nil {
					return err
				}
			}
		case "relabelled":
			if _, err := tx.exec(`UPDATE submissions SET labels = ?, label_bits = ? WHERE signal_id = ?`, jsonList(labels), int(ksp.LabelMask(labels)), signalID); err != nil {
				return fmt.Errorf("resolve: %w", err)
			}
		}
		if err := tx.refreshByID(signalID, subjects); err != nil {
			return err
		}
		return tx.audit("signal.resolve", "signal:"+signalID, ksp.StaffOrgID, map[string]any{"resolution": in.Resolution, "reason": in.Reason})
	})
	if err != nil {
		return nil, err
	}
	return db.FindSignalByID(ctx, signalID)
}

// logVerdict adds a verdict or a resolution to the signal's history, with
// the orgs whose submissions it is about.
func (tx *Tx) logVerdict(signalID, orgID, kind, value, comment string, subjects []string) error {
	if _, err := tx.exec(`INSERT INTO feedback_log (id, signal_id, org_id, kind, value, comment, created_at, subjects) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ksp.NewID(), signalID, orgID, kind, value, comment, micros(tx.now), jsonList(subjects)); err != nil {
		return fmt.Errorf("%s log: %w", kind, err)
	}
	return nil
}

// refreshByID reloads a signal inside the transaction and refreshes it
// (Tx.refresh).
func (tx *Tx) refreshByID(signalID string, orgs []string) error {
	st, err := tx.db.loadState(tx.ctx, tx, signalID)
	if err != nil {
		return err
	}
	return tx.refresh(st, orgs)
}
