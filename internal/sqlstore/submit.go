package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/kspplatform/ksp"
)

// submitOpts says how submitOne treats a record.
type submitOpts struct {
	// seq is the change sequence to use (0: take one).
	seq int64
	// bulk marks a record of a bulk import: its audience is checked here,
	// and it may not widen the sharing of the org's existing submission.
	bulk bool
}

// submitOne stores one submission inside tx. in is normalised, except a
// partial bulk record (in.Partial), whose type and value alone are: it
// takes the stored values of the org's existing submission for the fields
// it lacks, then is normalised here. A record that cannot be stored is an
// EINVALID *ksp.Error, returned before anything is written. It reports
// created (a new signal for this viewer), unchanged, and the signal id.
func (tx *Tx) submitOne(a *ksp.Actor, in *ksp.SubmissionInput, opts submitOpts) (created, unchanged bool, signalID string, newSignal bool, err error) {
	err = tx.queryRow(`SELECT id FROM signals WHERE type = ? AND value = ?`, in.Type, in.Value).Scan(&signalID)
	switch {
	case isNoRows(err):
		newSignal = true
	case err != nil:
		return false, false, "", false, fmt.Errorf("find signal: %w", err)
	}
	var before *ksp.SignalState
	var old *ksp.Submission
	if !newSignal {
		before, err = tx.db.loadState(tx.ctx, tx, signalID)
		if err != nil {
			return false, false, "", false, err
		}
		created = before.View(a.Viewer(), false) == nil
		old = before.SubmissionOf(a.OrgID)
	}
	if in.Partial() {
		in.KeepStored(old)
		in.Bulk.Absent = nil
		var f ksp.Fields
		in.Normalize(&f)
		if err := f.Err(); err != nil {
			return false, false, "", false, err
		}
	}
	if opts.bulk {
		if err := tx.checkAudience(in.Audience); err != nil {
			return false, false, "", false, err
		}
		if old != nil {
			if err := ksp.Widening(old.Sharing(), ksp.Sharing{Distribution: in.Distribution, TLP: in.TLP, Audience: in.Audience}).Err(); err != nil {
				return false, false, "", false, err
			}
		}
	}
	if old != nil && old.Retracted == nil && sameSubmission(in, old) {
		return false, true, signalID, false, nil
	}
	if newSignal {
		signalID = ksp.NewRandomID()
		if _, err = tx.exec(`INSERT INTO signals (id, type, value, created_at) VALUES (?, ?, ?, ?)`, signalID, in.Type, in.Value, micros(tx.now)); err != nil {
			return false, false, "", false, fmt.Errorf("insert signal: %w", err)
		}
		created = true
	}
	seq := opts.seq
	if seq == 0 {
		if seq, err = tx.nextSeq("changes"); err != nil {
			return false, false, "", false, err
		}
	}
	digest := digestOf(in)
	var quality any
	if in.Quality != nil {
		quality = *in.Quality
	}
	subID := ksp.NewID()
	if old == nil {
		_, err = tx.exec(`INSERT INTO submissions (id, signal_id, org_id, owner_org_id, distribution, tlp, quality, content_type, labels, label_bits, basis, entity_id, incident_id, basis_reason, severity, flags, policy_version, digest, created_at, updated_at, change_seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			subID, signalID, a.OrgID, a.OrgID, string(in.Distribution), string(in.TLP), quality, in.ContentType, mustJSON(in.Labels), int(ksp.LabelMask(in.Labels)), in.Basis, in.EntityID, in.IncidentID, in.BasisReason, in.Severity, mustJSON(in.Flags), in.PolicyVersion, digest, micros(tx.now), micros(tx.now), seq)
	} else {
		subID = old.ID
		// The old sharing loses the signal if the new one is narrower: a
		// tombstone tells exactly the old audience; those who still see
		// it receive the upsert after it.
		if old.Distribution != in.Distribution || old.TLP != in.TLP || !slices.Equal(old.Audience, in.Audience) {
			if err := tx.tombstone(signalID, old.Sharing(), "narrowed"); err != nil {
				return false, false, "", false, err
			}
		}
		_, err = tx.exec(`UPDATE submissions SET distribution = ?, tlp = ?, quality = ?, content_type = ?, labels = ?, label_bits = ?, basis = ?, entity_id = ?, incident_id = ?, basis_reason = ?, severity = ?, flags = ?, policy_version = ?, digest = ?, updated_at = ?, retracted_at = NULL, change_seq = ? WHERE id = ?`,
			string(in.Distribution), string(in.TLP), quality, in.ContentType, mustJSON(in.Labels), int(ksp.LabelMask(in.Labels)), in.Basis, in.EntityID, in.IncidentID, in.BasisReason, in.Severity, mustJSON(in.Flags), in.PolicyVersion, digest, micros(tx.now), seq, subID)
	}
	if err != nil {
		return false, false, "", false, fmt.Errorf("store submission: %w", err)
	}
	if in.Distribution == ksp.DistAudience || (old != nil && old.Distribution == ksp.DistAudience) {
		if err := tx.setAudience(subID, in.Audience); err != nil {
			return false, false, "", false, err
		}
	}
	if before != nil {
		if err := tx.refreshByID(signalID, nil); err != nil {
			return false, false, "", false, err
		}
	}
	return created, false, signalID, newSignal, nil
}

// sameSubmission reports whether the normalised in says exactly what the
// stored submission says, field by field (the digest column says the same
// for rows written since it was introduced; this does not depend on it).
func sameSubmission(in *ksp.SubmissionInput, old *ksp.Submission) bool {
	qualityEq := (in.Quality == nil) == (old.Quality == nil) && (in.Quality == nil || *in.Quality == *old.Quality)
	return qualityEq && in.ContentType == old.ContentType && slices.Equal(in.Labels, old.Labels) && in.Basis == old.Basis &&
		in.EntityID == old.EntityID && in.IncidentID == old.IncidentID && in.BasisReason == old.BasisReason && in.Severity == old.Severity &&
		slices.Equal(in.Flags, old.Flags) && in.Distribution == old.Distribution && in.TLP == old.TLP && slices.Equal(in.Audience, old.Audience) &&
		in.PolicyVersion == old.PolicyVersion
}

// recipientView is the viewer whose view of an object goes into an event:
// a recipient that is not the owner (so owner-only details stay out), or the
// owner when only the owner may see it.
func recipientView(s ksp.Sharing) ksp.Viewer {
	switch s.Distribution {
	case ksp.DistOwner:
		return ksp.Viewer{OrgID: s.OwnerOrgID}
	case ksp.DistAudience:
		return ksp.Viewer{OrgID: s.Audience[0]}
	}
	return ksp.Viewer{OrgID: "00000000-0000-7000-8000-000000000000"}
}

// Submit records the actor's org's submission.
func (db *DB) Submit(ctx context.Context, in ksp.SubmissionInput) (*ksp.SubmitResult, error) {
	a, err := submitter(ctx)
	if err != nil {
		return nil, err
	}
	var f ksp.Fields
	refuseRedacted(&in, &f)
	in.Normalize(&f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	in.Bulk = nil
	res := &ksp.SubmitResult{}
	var signalID string
	err = db.write(ctx, func(tx *Tx) error {
		if err := tx.checkIncident(a, &in); err != nil {
			return err
		}
		if err := tx.checkAudience(in.Audience); err != nil {
			return err
		}
		if err := tx.resolveEntity(&in); err != nil {
			return err
		}
		created, unchanged, id, newSignal, err := tx.submitOne(a, &in, submitOpts{})
		if err != nil {
			return err
		}
		signalID, res.Created, res.Unchanged = id, created, unchanged
		if unchanged {
			return nil
		}
		if err := tx.audit("signal.submit", "signal:"+id, a.OrgID, nil); err != nil {
			return err
		}
		if newSignal {
			st, err := db.loadState(ctx, tx, id)
			if err != nil {
				return err
			}
			sh := st.Submissions[0].Sharing()
			if _, err := tx.appendEvent(ksp.EventSignalCreated, id, sh, st.View(recipientView(sh), false)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Signal, err = db.FindSignalByID(ctx, signalID)
	return res, err
}

// refuseRedacted records a value that is the placeholder shown in place of
// a value the viewer may not see: it names no content, and storing it
// would make a bogus signal of it.
func refuseRedacted(in *ksp.SubmissionInput, f *ksp.Fields) {
	if ksp.IsRedacted(in.Value) {
		f.Add("value", "redacted: a placeholder shown in place of a value the exporter could not see, never a value to submit")
	}
}
