package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kspplatform/ksp"
)

// eraseBatch bounds the alerts one EraseAlertURLs call erases; the job
// runs again for the rest.
const eraseBatch = 500

// EraseAlertURLs erases the URLs of closed alerts past their erase time
// (see ksp.AlertEraser).
func (db *DB) EraseAlertURLs(ctx context.Context, now time.Time) (int, error) {
	if _, err := requireStaff(ctx); err != nil {
		return 0, err
	}
	t := ksp.T(now)
	// Six calendar months before now, the way ksp.AlertEraseTime adds
	// them to the response time.
	cutoff := t.AddDate(0, -ksp.AlertURLRetentionMonths, 0)
	n := 0
	err := db.write(ctx, func(tx *Tx) error {
		n = 0
		rows, err := tx.query(`SELECT id, responded_at, preserve_until FROM alerts WHERE status = ? AND url_erased_at IS NULL
			AND ((preserve_until IS NOT NULL AND preserve_until <= ?) OR (preserve_until IS NULL AND responded_at <= ?))
			ORDER BY responded_at LIMIT `+fmt.Sprint(eraseBatch), ksp.AlertResponded, micros(t), micros(cutoff))
		if err != nil {
			return fmt.Errorf("erase alert urls: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			var responded int64
			var preserve nullInt
			if err := rows.Scan(&id, &responded, &preserve); err != nil {
				rows.Close()
				return fmt.Errorf("erase alert urls: %w", err)
			}
			// The query's cutoff and the rule agree up to month ends;
			// the rule decides.
			if ksp.AlertEraseTime(fromMicros(responded).Time, preserve.time()).After(t.Time) {
				continue
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("erase alert urls: %w", err)
		}
		for _, id := range ids {
			if err := tx.eraseAlertURL(id, t); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

func (tx *Tx) eraseAlertURL(id string, t ksp.Time) error {
	if _, err := tx.exec(`UPDATE alerts SET url = '', url_erased_at = ? WHERE id = ?`, micros(t), id); err != nil {
		return fmt.Errorf("erase alert url: %w", err)
	}
	// The alert as events carried it.
	rows, err := tx.query(`SELECT seq, data FROM events WHERE object_id = ? AND type LIKE 'alert.%'`, id)
	if err != nil {
		return fmt.Errorf("erase alert url: events: %w", err)
	}
	type ev struct {
		seq  int64
		data string
	}
	var evs []ev
	for rows.Next() {
		var e ev
		if err := rows.Scan(&e.seq, &e.data); err != nil {
			rows.Close()
			return fmt.Errorf("erase alert url: events: %w", err)
		}
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("erase alert url: events: %w", err)
	}
	for _, e := range evs {
		var m map[string]any
		if json.Unmarshal([]byte(e.data), &m) != nil {
			continue
		}
		if _, ok := m["url"]; !ok {
			continue
		}
		m["url"] = ""
		js, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("erase alert url: events: %w", err)
		}
		if _, err := tx.exec(`UPDATE events SET data = ? WHERE seq = ?`, string(js), e.seq); err != nil {
			return fmt.Errorf("erase alert url: events: %w", err)
		}
	}
	// The audit chain keeps its digests; the details that named the URL go.
	if _, err := tx.exec(`DELETE FROM audit_details WHERE digest IN (SELECT details_digest FROM audit_events WHERE object = ? AND action IN ('alert.create', 'alert.merge'))`, "alert:"+id); err != nil {
		return fmt.Errorf("erase alert url: audit details: %w", err)
	}
	if err := tx.addTimeline(id, t, ksp.TimelineURLErased, "", ""); err != nil {
		return err
	}
	return tx.audit("alert.erase_url", "alert:"+id, "", nil)
}
