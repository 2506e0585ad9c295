package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// A mentorship request is seen by the requesting org, its mentor org and
// staff: mentorshipVisible is that rule in SQL, for requests aliased m.
func mentorshipVisible(a *ksp.Actor) (string, []any) {
	if a.Staff {
		return "1 = 1", nil
	}
	return "(m.org_id = ? OR m.mentor_org_id = ?)", []any{a.OrgID, a.OrgID}
}

const mentorshipCols = `m.id, m.org_id, o.name, m.topics, m.note, m.status, m.mentor_org_id, COALESCE(mo.name, ''), m.created_at, m.updated_at`

const mentorshipFrom = ` FROM mentorship_requests m JOIN orgs o ON o.id = m.org_id LEFT JOIN orgs mo ON mo.id = m.mentor_org_id`

func scanMentorship(sc interface{ Scan(...any) error }) (*ksp.MentorshipRequest, error) {
	var r ksp.MentorshipRequest
	var topics string
	var created, updated int64
	if err := sc.Scan(&r.ID, &r.OrgID, &r.OrgName, &topics, &r.Note, &r.Status, &r.MentorOrgID, &r.MentorOrgName, &created, &updated); err != nil {
		return nil, err
	}
	if err := unmarshalList(topics, &r.Topics); err != nil {
		return nil, fmt.Errorf("mentorship %s topics: %w", r.ID, err)
	}
	r.Created, r.Updated = fromMicros(created), fromMicros(updated)
	return &r, nil
}

// mentorshipReader checks the caller is a member (or staff) at all: the
// mentoring programme has nothing for the anonymous or the suspended.
func mentorshipReader(ctx context.Context) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if a.Suspended && !a.Staff {
		return nil, errSuspended("take part in mentoring")
	}
	return a, nil
}

// visibleMentorship reads a request the caller is party to.
func (db *DB) visibleMentorship(ctx context.Context, q querier, a *ksp.Actor, id string) (*ksp.MentorshipRequest, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("mentorship request")
	}
	vis, args := mentorshipVisible(a)
	r, err := scanMentorship(q.QueryRowContext(ctx, db.rebind(`SELECT `+mentorshipCols+mentorshipFrom+` WHERE m.id = ? AND `+vis), append([]any{id}, args...)...))
	if isNoRows(err) {
		return nil, ksp.NotFound("mentorship request")
	}
	if err != nil {
		return nil, fmt.Errorf("find mentorship request: %w", err)
	}
	return r, nil
}

// CreateMentorshipRequest stores an open request by the caller's org.
func (db *DB) CreateMentorshipRequest(ctx context.Context, r *ksp.MentorshipRequest) error {
	a, err := communityWriter(ctx, "request mentoring")
	if err != nil {
		return err
	}
	r.Topics = ksp.NormalizeTopics(r.Topics)
	r.Note = strings.TrimSpace(r.Note)
	var fe ksp.Fields
	ksp.ValidateTopics("topics", r.Topics, true, &fe)
	ksp.ValidateMentorshipText("note", r.Note, ksp.MaxMentorshipNote, &fe)
	if err := fe.Err(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.checkCommunityStanding(a, "request mentoring"); err != nil {
			return err
		}
		r.ID, r.OrgID, r.Status = ksp.NewID(), a.OrgID, ksp.MentorshipOpen
		r.MentorOrgID, r.MentorOrgName, r.Sessions = "", "", []*ksp.MentorshipSession{}
		r.Created, r.Updated = tx.now, tx.now
		if err := tx.queryRow(`SELECT name FROM orgs WHERE id = ?`, a.OrgID).Scan(&r.OrgName); err != nil {
			return fmt.Errorf("request mentoring: org: %w", err)
		}
		if _, err := tx.exec(`INSERT INTO mentorship_requests (id, org_id, topics, note, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.OrgID, jsonList(r.Topics), r.Note, r.Status, micros(r.Created), micros(r.Updated)); err != nil {
			return fmt.Errorf("request mentoring: %w", err)
		}
		return tx.audit("mentorship.request", "mentorship:"+r.ID, r.OrgID, map[string]any{"topics": r.Topics})
	})
}

// FindMentorshipRequestByID returns a request the caller is party to, with
// its sessions.
func (db *DB) FindMentorshipRequestByID(ctx context.Context, id string) (*ksp.MentorshipRequest, error) {
	a, err := mentorshipReader(ctx)
	if err != nil {
		return nil, err
	}
	r, err := db.visibleMentorship(ctx, db.sql, a, id)
	if err != nil {
		return nil, err
	}
	if err := db.auditMentorshipReads(ctx, a, "mentorship.staff_read", []*ksp.MentorshipRequest{r}); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT s.id, s.request_id, s.org_id, o.name, s.held_on, s.minutes, s.notes, s.created_at
		FROM mentorship_sessions s JOIN orgs o ON o.id = s.org_id WHERE s.request_id = ? ORDER BY s.held_on, s.created_at, s.id`, r.ID)
	if err != nil {
		return nil, fmt.Errorf("mentorship sessions: %w", err)
	}
	defer rows.Close()
	r.Sessions = []*ksp.MentorshipSession{}
	for rows.Next() {
		var s ksp.MentorshipSession
		var created int64
		if err := rows.Scan(&s.ID, &s.RequestID, &s.OrgID, &s.OrgName, &s.Held, &s.Minutes, &s.Notes, &created); err != nil {
			return nil, fmt.Errorf("mentorship sessions: %w", err)
		}
		s.Created = fromMicros(created)
		r.Sessions = append(r.Sessions, &s)
	}
	return r, rows.Err()
}

// FindMentorshipRequests lists the requests the caller is party to (every
// request for staff), newest first.
func (db *DB) FindMentorshipRequests(ctx context.Context, f ksp.MentorshipFilter) ([]*ksp.MentorshipRequest, string, error) {
	a, err := mentorshipReader(ctx)
	if err != nil {
		return nil, "", err
	}
	var fe ksp.Fields
	if f.Status != nil && !slices.Contains(ksp.MentorshipStatuses, *f.Status) {
		fe.Add("status", "must be one of "+strings.Join(ksp.MentorshipStatuses, ", "))
	}
	if f.Page.Limit > ksp.MaxLimit {
		fe.Add("limit", "at most 1000")
	}
	if err := fe.Err(); err != nil {
		return nil, "", err
	}
	vis, args := mentorshipVisible(a)
	where := []string{vis}
	if f.Status != nil {
		where = append(where, "m.status = ?")
		args = append(args, *f.Status)
	}
	pw, pargs, limit, err := pageQuery(f.Page, "m.id")
	if err != nil {
		return nil, "", err
	}
	where = append(where, pw)
	args = append(args, pargs...)
	rows, err := db.query(ctx, `SELECT `+mentorshipCols+mentorshipFrom+` WHERE `+strings.Join(where, " AND ")+` ORDER BY m.id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find mentorship requests: %w", err)
	}
	defer rows.Close()
	out := []*ksp.MentorshipRequest{}
	for rows.Next() {
		r, err := scanMentorship(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find mentorship requests: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find mentorship requests: %w", err)
	}
	rows.Close()
	out, next := cut(out, f.Page, func(r *ksp.MentorshipRequest) string { return r.ID })
	if err := db.auditMentorshipReads(ctx, a, "mentorship.staff_list", out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// auditMentorshipReads records a staff request that read other orgs'
// mentorships: they are shared with two orgs only, so a staff read leaves
// a trace as for any restricted item. The server's own reads (system
// actors) are not audited.
func (db *DB) auditMentorshipReads(ctx context.Context, a *ksp.Actor, action string, rs []*ksp.MentorshipRequest) error {
	if !a.Staff {
		return nil
	}
	var ids []string
	for _, r := range rs {
		if r.OrgID != a.OrgID && r.MentorOrgID != a.OrgID {
			ids = append(ids, r.ID)
		}
	}
	return db.auditRestrictedReads(ctx, a, action, "mentorship", "requests", ids)
}

// SetMentorshipOffer records (or, with no topics, withdraws) the topics the
// caller's org offers to mentor on.
func (db *DB) SetMentorshipOffer(ctx context.Context, topics []string, note string) (*ksp.MentorshipOffer, error) {
	a, err := communityWriter(ctx, "offer mentoring")
	if err != nil {
		return nil, err
	}
	topics = ksp.NormalizeTopics(topics)
	note = strings.TrimSpace(note)
	var fe ksp.Fields
	ksp.ValidateTopics("topics", topics, false, &fe)
	ksp.ValidateMentorshipText("note", note, ksp.MaxMentorshipNote, &fe)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *ksp.MentorshipOffer
	err = db.write(ctx, func(tx *Tx) error {
		if err := tx.checkCommunityStanding(a, "offer mentoring"); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM mentorship_offers WHERE org_id = ?`, a.OrgID); err != nil {
			return fmt.Errorf("offer mentoring: %w", err)
		}
		o := &ksp.MentorshipOffer{OrgID: a.OrgID, Topics: topics, Note: note, Updated: tx.now}
		if err := tx.queryRow(`SELECT name, kind, size FROM orgs WHERE id = ?`, a.OrgID).Scan(&o.OrgName, &o.OrgKind, &o.OrgSize); err != nil {
			return fmt.Errorf("offer mentoring: org: %w", err)
		}
		if len(topics) > 0 {
			if _, err := tx.exec(`INSERT INTO mentorship_offers (org_id, topics, note, updated_at) VALUES (?, ?, ?, ?)`,
				a.OrgID, jsonList(topics), note, micros(tx.now)); err != nil {
				return fmt.Errorf("offer mentoring: %w", err)
			}
		}
		out = o
		return tx.audit("mentorship.offer", "org:"+a.OrgID, a.OrgID, map[string]any{"topics": topics})
	})
	return out, err
}

// FindMentorshipOffers lists the offers: every one for staff (who match),
// the caller's own for a member.
func (db *DB) FindMentorshipOffers(ctx context.Context) ([]*ksp.MentorshipOffer, error) {
	a, err := mentorshipReader(ctx)
	if err != nil {
		return nil, err
	}
	where, args := "1 = 1", []any(nil)
	if !a.Staff {
		where, args = "f.org_id = ?", []any{a.OrgID}
	}
	rows, err := db.query(ctx, `SELECT f.org_id, o.name, o.kind, o.size, f.topics, f.note, f.updated_at FROM mentorship_offers f JOIN orgs o ON o.id = f.org_id
		WHERE o.status = 'member' AND `+where+` ORDER BY o.name, f.org_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find mentorship offers: %w", err)
	}
	defer rows.Close()
	out := []*ksp.MentorshipOffer{}
	for rows.Next() {
		var o ksp.MentorshipOffer
		var topics string
		var updated int64
		if err := rows.Scan(&o.OrgID, &o.OrgName, &o.OrgKind, &o.OrgSize, &topics, &o.Note, &updated); err != nil {
			return nil, fmt.Errorf("find mentorship offers: %w", err)
		}
		if err := unmarshalList(topics, &o.Topics); err != nil {
			return nil, fmt.Errorf("find mentorship offers: %w", err)
		}
		o.Updated = fromMicros(updated)
		out = append(out, &o)
	}
	return out, rows.Err()
}

// MatchMentorship (staff) gives an open request a mentor org in good
// standing that offered every topic requested.
func (db *DB) MatchMentorship(ctx context.Context, requestID, mentorOrgID string) (*ksp.MentorshipRequest, error) {
	a, err := requireStaff(ctx)
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		r, err := db.visibleMentorship(tx.ctx, tx, a, requestID)
		if err != nil {
			return err
		}
		if r.Status != ksp.MentorshipOpen {
			return &ksp.Error{Code: ksp.ECONFLICT, Message: "only an open request can be matched; this one is " + r.Status,
				Fields: []ksp.FieldError{{Field: "status", Reason: "is " + r.Status}}}
		}
		if mentorOrgID == r.OrgID {
			return mentorInvalid("an organisation cannot mentor itself")
		}
		var topics, status string
		err = tx.queryRow(`SELECT f.topics, o.status FROM mentorship_offers f JOIN orgs o ON o.id = f.org_id WHERE f.org_id = ?`, mentorOrgID).Scan(&topics, &status)
		if isNoRows(err) {
			return mentorInvalid("this organisation has not offered to mentor")
		}
		if err != nil {
			return fmt.Errorf("match mentorship: %w", err)
		}
		if status != ksp.OrgStatusMember {
			return mentorInvalid("this organisation is suspended")
		}
		var offered []string
		if err := unmarshalList(topics, &offered); err != nil {
			return fmt.Errorf("match mentorship: %w", err)
		}
		for _, t := range r.Topics {
			if !slices.Contains(offered, t) {
				return mentorInvalid("this organisation has not offered the topic " + t)
			}
		}
		if _, err := tx.exec(`UPDATE mentorship_requests SET status = ?, mentor_org_id = ?, updated_at = ? WHERE id = ?`,
			ksp.MentorshipMatched, mentorOrgID, micros(tx.now), r.ID); err != nil {
			return fmt.Errorf("match mentorship: %w", err)
		}
		return tx.audit("mentorship.match", "mentorship:"+r.ID, r.OrgID, map[string]any{"mentor_org_id": mentorOrgID})
	})
	if err != nil {
		return nil, err
	}
	return db.FindMentorshipRequestByID(ctx, requestID)
}

func mentorInvalid(reason string) error {
	return &ksp.Error{Code: ksp.EINVALID, Message: "invalid mentor_org_id: " + reason, Fields: []ksp.FieldError{{Field: "mentor_org_id", Reason: reason}}}
}

// mentorshipParty reads a request for a write by one of its two sides (or
// staff): an analyst of an org in good standing.
func (db *DB) mentorshipParty(tx *Tx, a *ksp.Actor, id, what string) (*ksp.MentorshipRequest, error) {
	r, err := db.visibleMentorship(tx.ctx, tx, a, id)
	if err != nil {
		return nil, err
	}
	if err := tx.checkCommunityStanding(a, what); err != nil {
		return nil, err
	}
	return r, nil
}

// SetMentorshipStatus moves a request one step on (matched → active →
// completed); open → matched is MatchMentorship's, with a mentor.
func (db *DB) SetMentorshipStatus(ctx context.Context, requestID, status string) (*ksp.MentorshipRequest, error) {
	a, err := communityWriter(ctx, "change a mentorship")
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		r, err := db.mentorshipParty(tx, a, requestID, "change a mentorship")
		if err != nil {
			return err
		}
		switch {
		case !slices.Contains(ksp.MentorshipStatuses, status):
			return &ksp.Error{Code: ksp.EINVALID, Message: "invalid status: must be one of " + strings.Join(ksp.MentorshipStatuses, ", "),
				Fields: []ksp.FieldError{{Field: "status", Reason: "must be one of " + strings.Join(ksp.MentorshipStatuses, ", ")}}}
		case status == ksp.MentorshipMatched:
			return &ksp.Error{Code: ksp.EINVALID, Message: "invalid status: a request is matched by staff naming a mentor",
				Fields: []ksp.FieldError{{Field: "status", Reason: "staff match a request with a mentor (POST …/match)"}}}
		case !ksp.NextMentorshipStatus(r.Status, status):
			return &ksp.Error{Code: ksp.ECONFLICT, Message: "a " + r.Status + " request cannot become " + status,
				Fields: []ksp.FieldError{{Field: "status", Reason: "cannot go from " + r.Status + " to " + status}}}
		}
		if _, err := tx.exec(`UPDATE mentorship_requests SET status = ?, updated_at = ? WHERE id = ?`, status, micros(tx.now), r.ID); err != nil {
			return fmt.Errorf("mentorship status: %w", err)
		}
		return tx.audit("mentorship.status", "mentorship:"+r.ID, r.OrgID, map[string]any{"from": r.Status, "to": status})
	})
	if err != nil {
		return nil, err
	}
	return db.FindMentorshipRequestByID(ctx, requestID)
}

// LogMentorshipSession records a meeting of a matched or active request,
// by either side (staff log nothing: the sessions are the two orgs' own
// account).
func (db *DB) LogMentorshipSession(ctx context.Context, requestID string, s *ksp.MentorshipSession) (*ksp.MentorshipSession, error) {
	a, err := communityWriter(ctx, "log a mentoring session")
	if err != nil {
		return nil, err
	}
	s.Notes = strings.TrimSpace(s.Notes)
	s.Held = strings.TrimSpace(s.Held)
	var fe ksp.Fields
	if d, err := time.Parse(time.DateOnly, s.Held); err != nil {
		fe.Add("held_on", "a date YYYY-MM-DD")
	} else if d.After(ksp.Now().Add(24 * time.Hour)) {
		fe.Add("held_on", "log a session once it has taken place")
	}
	if s.Minutes < 1 || s.Minutes > 24*60 {
		fe.Add("minutes", "a whole number of minutes from 1 to 1440")
	}
	ksp.ValidateMentorshipText("notes", s.Notes, ksp.MaxMentorshipSession, &fe)
	err = db.write(ctx, func(tx *Tx) error {
		r, err := db.mentorshipParty(tx, a, requestID, "log a mentoring session")
		if err != nil {
			return err
		}
		if a.OrgID != r.OrgID && a.OrgID != r.MentorOrgID {
			return ksp.Errorf(ksp.EFORBIDDEN, "only the two organisations of a mentorship log its sessions")
		}
		if r.Status != ksp.MentorshipMatched && r.Status != ksp.MentorshipActive {
			return &ksp.Error{Code: ksp.ECONFLICT, Message: "sessions are logged while a mentorship is matched or active; this one is " + r.Status,
				Fields: []ksp.FieldError{{Field: "status", Reason: "is " + r.Status}}}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		s.ID, s.RequestID, s.OrgID, s.Created = ksp.NewID(), r.ID, a.OrgID, tx.now
		if err := tx.queryRow(`SELECT name FROM orgs WHERE id = ?`, a.OrgID).Scan(&s.OrgName); err != nil {
			return fmt.Errorf("log session: org: %w", err)
		}
		if _, err := tx.exec(`INSERT INTO mentorship_sessions (id, request_id, org_id, held_on, minutes, notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			s.ID, s.RequestID, s.OrgID, s.Held, s.Minutes, s.Notes, micros(s.Created)); err != nil {
			return fmt.Errorf("log session: %w", err)
		}
		if _, err := tx.exec(`UPDATE mentorship_requests SET updated_at = ? WHERE id = ?`, micros(tx.now), r.ID); err != nil {
			return fmt.Errorf("log session: %w", err)
		}
		return tx.audit("mentorship.session", "mentorship:"+r.ID, r.OrgID, map[string]any{"session": s.ID, "held_on": s.Held, "minutes": s.Minutes})
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}
