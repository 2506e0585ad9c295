package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/kspplatform/ksp"
)

// TakeStaffPages pages every active staff user, once per alert, about
// urgent alerts that route to no member (see ksp.NoticeService): open
// threats to life and removal orders not paged yet. A read finds them (one
// query on a partial index, so a call costs little when nothing is due);
// a write then claims each with a conditional update, so two servers never
// page one alert twice.
func (db *DB) TakeStaffPages(ctx context.Context, now time.Time) ([]*ksp.Notice, error) {
	if _, err := requireStaff(ctx); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT id, kind, tier FROM alerts WHERE receiver_org_id = '' AND paged_at IS NULL AND status = ? AND (tier = ? OR kind = ?)
		ORDER BY created_at LIMIT `+fmt.Sprint(noticeBatch), ksp.AlertOpen, ksp.TierThreatToLife, string(ksp.AlertTCORemovalOrder))
	if err != nil {
		return nil, fmt.Errorf("staff pages: %w", err)
	}
	var due []*ksp.Notice
	for rows.Next() {
		n := &ksp.Notice{Type: ksp.NoticeAlertPage}
		if err := rows.Scan(&n.ObjectID, &n.Kind, &n.Tier); err != nil {
			rows.Close()
			return nil, fmt.Errorf("staff pages: %w", err)
		}
		due = append(due, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("staff pages: %w", err)
	}
	if len(due) == 0 {
		return nil, nil
	}
	var out []*ksp.Notice
	err = db.write(ctx, func(tx *Tx) error {
		out = nil
		staff, err := tx.staffEmails()
		if err != nil {
			return err
		}
		for _, n := range due {
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
			n.To = staff
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
