package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/kspplatform/ksp"
)

// unpagedUrgent selects the open alerts that route to no member, are a
// threat to life or a removal order, and were not paged yet.
const unpagedUrgent = `FROM alerts WHERE receiver_org_id = '' AND paged_at IS NULL AND status = ? AND (tier = ? OR kind = ?)`

// TakeStaffPages pages every active staff user, once per alert, about
// urgent alerts that route to no member (see ksp.NoticeService). A read
// finds whether anything is due, so the call costs one indexed query when
// nothing is; each alert is claimed by a conditional update, so two
// servers never page it twice.
func (db *DB) TakeStaffPages(ctx context.Context, now time.Time) ([]*ksp.Notice, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	args := []any{ksp.AlertOpen, ksp.TierThreatToLife, string(ksp.AlertTCORemovalOrder)}
	var due int
	if err := db.queryRow(ctx, `SELECT COUNT(*) `+unpagedUrgent, args...).Scan(&due); err != nil {
		return nil, fmt.Errorf("staff pages: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	var out []*ksp.Notice
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		staff, err := tx.staffEmails()
		if err != nil {
			return err
		}
		rows, err := tx.query(`SELECT id, kind, tier `+unpagedUrgent+` ORDER BY created_at LIMIT `+fmt.Sprint(noticeBatch), args...)
		if err != nil {
			return fmt.Errorf("staff pages: %w", err)
		}
		var ns []*ksp.Notice
		for rows.Next() {
			n := &ksp.Notice{Type: ksp.NoticeAlertPage, To: staff}
			if err := rows.Scan(&n.ObjectID, &n.Kind, &n.Tier); err != nil {
				rows.Close()
				return fmt.Errorf("staff pages: %w", err)
			}
			ns = append(ns, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("staff pages: %w", err)
		}
		for _, n := range ns {
			res, err := tx.exec(`UPDATE alerts SET paged_at = ? WHERE id = ? AND paged_at IS NULL AND receiver_org_id = ''`, micros(ksp.T(now)), n.ObjectID)
			if err != nil {
				return fmt.Errorf("staff pages: %w", err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue // another server paged it, or staff forwarded it
			}
			if err := tx.addTimeline(n.ObjectID, ksp.T(now), ksp.TimelineStaffPaged, ksp.StaffOrgID, ""); err != nil {
				return err
			}
			if err := tx.audit("alert.page", "alert:"+n.ObjectID, ksp.StaffOrgID, map[string]any{"recipients": len(staff)}); err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

// staffEmails lists every active staff user's mail address.
func (tx *Tx) staffEmails() ([]string, error) {
	out, err := columnStrings(tx.query(`SELECT u.email FROM users u JOIN orgs o ON o.id = u.org_id WHERE o.kind = ? AND u.status = ? ORDER BY u.email`,
		string(ksp.KindStaff), ksp.UserActive))
	if err != nil {
		return nil, fmt.Errorf("staff pages: staff: %w", err)
	}
	return out, nil
}
