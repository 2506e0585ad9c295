package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kspplatform/ksp"
)

// vocab interns the strings of KSP's fixed vocabularies, so that a million
// loaded submissions share one copy of "members" or "propaganda".
var vocab = func() map[string]string {
	m := map[string]string{}
	for _, list := range [][]string{ksp.Labels, ksp.SignalFlags, ksp.ContentTypes, ksp.Severities, ksp.Bases, ksp.SignalTypes, ksp.Verdicts} {
		for _, s := range list {
			m[s] = s
		}
	}
	for _, d := range ksp.Distributions {
		m[string(d)] = string(d)
	}
	for _, t := range ksp.TLPs {
		m[string(t)] = string(t)
	}
	return m
}()

func intern(b []byte) string {
	if s, ok := vocab[string(b)]; ok { // no allocation for the lookup
		return s
	}
	return string(b)
}

// parseList reads a JSON array of vocabulary strings as stored in the
// labels and flags columns, without the reflection of encoding/json.
func parseList(b []byte) ([]string, error) {
	if len(b) == 2 && b[0] == '[' && b[1] == ']' {
		return nil, nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' || strings.ContainsRune(string(b), '\\') {
		var out []string
		err := json.Unmarshal(b, &out)
		return out, err
	}
	var out []string
	in := b[1 : len(b)-1]
	for len(in) > 0 {
		if in[0] != '"' {
			return nil, fmt.Errorf("malformed list %q", b)
		}
		end := 1
		for end < len(in) && in[end] != '"' {
			end++
		}
		if end == len(in) {
			return nil, fmt.Errorf("malformed list %q", b)
		}
		out = append(out, intern(in[1:end]))
		in = in[end+1:]
		if len(in) > 0 {
			if in[0] != ',' {
				return nil, fmt.Errorf("malformed list %q", b)
			}
			in = in[1:]
		}
	}
	return out, nil
}

// setResolvedLabels reads the labels staff set when relabelling ("[]" when
// none).
func setResolvedLabels(st *ksp.SignalState, b []byte) error {
	if len(b) <= 2 {
		return nil
	}
	l, err := parseList(b)
	if err != nil {
		return fmt.Errorf("signal %s resolved labels: %w", st.ID, err)
	}
	st.ResolvedLabels = l
	return nil
}

type orgInfo struct {
	id    string
	name  string
	kind  ksp.OrgKind
	named bool
}

// streamStates calls fn for every signal in id order, in one pass over
// signals joined with submissions. Feedback, audiences, organisations and
// the negative bank are read first into memory (they are small beside the
// bank). Basis reasons and policy versions are left out, as for the
// matcher's and the export's needs.
func (db *DB) streamStates(ctx context.Context, slim bool, fn func(*ksp.SignalState) error) error {
	orgs := map[string]orgInfo{}
	if err := db.each(ctx, `SELECT id, name, kind, named FROM orgs`, nil, func(rows *sql.Rows) error {
		var id string
		var o orgInfo
		if err := rows.Scan(&id, &o.name, &o.kind, &o.named); err != nil {
			return err
		}
		o.id = id
		orgs[id] = o
		return nil
	}); err != nil {
		return fmt.Errorf("signal states: orgs: %w", err)
	}
	negative := map[string]bool{}
	if err := db.each(ctx, `SELECT type, value FROM negative_bank`, nil, func(rows *sql.Rows) error {
		var t, v string
		if err := rows.Scan(&t, &v); err != nil {
			return err
		}
		negative[t+":"+v] = true
		return nil
	}); err != nil {
		return fmt.Errorf("signal states: negative bank: %w", err)
	}
	feedback := map[string][]*ksp.FeedbackEntry{}
	if err := db.each(ctx, `SELECT signal_id, org_id, verdict, updated_at FROM feedback`, nil, func(rows *sql.Rows) error {
		var sid string
		var fb ksp.FeedbackEntry
		var updated int64
		if err := rows.Scan(&sid, &fb.OrgID, &fb.Verdict, &updated); err != nil {
			return err
		}
		fb.Verdict = intern([]byte(fb.Verdict))
		fb.OrgKind = orgs[fb.OrgID].kind
		fb.Updated = fromMicros(updated)
		feedback[sid] = append(feedback[sid], &fb)
		return nil
	}); err != nil {
		return fmt.Errorf("signal states: feedback: %w", err)
	}
	// Audiences by submission id, and by signal and submitting org for the
	// slim pass, which does not read submission ids.
	audiences := map[string][]string{}
	if err := db.each(ctx, `SELECT a.item_id, s.signal_id, s.org_id, a.org_id FROM audiences a JOIN submissions s ON s.id = a.item_id ORDER BY a.org_id`, nil, func(rows *sql.Rows) error {
		var item, sig, owner, org string
		if err := rows.Scan(&item, &sig, &owner, &org); err != nil {
			return err
		}
		audiences[item] = append(audiences[item], org)
		audiences[sig+"/"+owner] = append(audiences[sig+"/"+owner], org)
		return nil
	}); err != nil {
		return fmt.Errorf("signal states: audiences: %w", err)
	}
	// Staff resolutions are rare: the slim pass takes them from here
	// (every resolution is logged in feedback_log) instead of reading three
	// more columns of every signal.
	resolved := map[string]*ksp.SignalState{}
	if slim {
		if err := db.each(ctx, `SELECT id, resolution, resolved_at, resolved_labels FROM signals
			WHERE id IN (SELECT signal_id FROM feedback_log WHERE kind = 'resolution')`, nil, func(rows *sql.Rows) error {
			var st ksp.SignalState
			var at sql.NullInt64
			var labels sql.RawBytes
			if err := rows.Scan(&st.ID, &st.Resolution, &at, &labels); err != nil {
				return err
			}
			st.ResolvedAt = ptrTime(at)
			if err := setResolvedLabels(&st, labels); err != nil {
				return err
			}
			resolved[st.ID] = &st
			return nil
		}); err != nil {
			return fmt.Errorf("signal states: resolutions: %w", err)
		}
	}

	// One ordered pass: reading ranges on several connections at once was
	// slower here (the SQLite driver serialises on shared state).
	return db.streamRange(ctx, slim, orgs, audiences, func(st *ksp.SignalState) error {
		if r := resolved[st.ID]; r != nil {
			st.Resolution, st.ResolvedAt, st.ResolvedLabels = r.Resolution, r.ResolvedAt, r.ResolvedLabels
		}
		st.Feedback = feedback[st.ID]
		st.Negative = negative[st.Type+":"+st.Value]
		return fn(st)
	})
}

// streamRange reads every signal joined with its submissions, in id order,
// and emits each complete state. slim reads only what matching needs
// (sharing, labels, entity, retraction, resolution): decoding columns is
// most of the cost, and the matcher loads the whole bank at start.
func (db *DB) streamRange(ctx context.Context, slim bool, orgs map[string]orgInfo, audiences map[string][]string, emit func(*ksp.SignalState) error) error {
	var cur *ksp.SignalState
	send := func() error {
		if cur == nil {
			return nil
		}
		st := cur
		cur = nil
		return emit(st)
	}
	if slim {
		// Submissions come from slabs and org ids from the orgs table, so a
		// row costs few allocations: the loader makes a million of them.
		var slab []ksp.Submission
		// Few distinct label lists exist: share one parsed copy of each
		// (the matcher only reads them).
		lists := map[string][]string{}
		err := db.each(ctx, `SELECT sig.id, sig.type, sig.value, s.org_id, s.distribution, s.tlp, s.labels, s.entity_id, s.retracted_at
		FROM signals sig JOIN submissions s ON s.signal_id = sig.id ORDER BY sig.id`, nil, func(rows *sql.Rows) error {
			var (
				sigID, value                    string
				typ, org, dist, tlp, ls, entity sql.RawBytes
				retracted                       sql.NullInt64
			)
			if err := rows.Scan(&sigID, &typ, &value, &org, &dist, &tlp, &ls, &entity, &retracted); err != nil {
				return err
			}
			if cur == nil || cur.ID != sigID {
				if err := send(); err != nil {
					return err
				}
				cur = &ksp.SignalState{ID: sigID, Type: intern(typ), Value: value}
			}
			if len(slab) == 0 {
				slab = make([]ksp.Submission, 4096)
			}
			s := &slab[0]
			slab = slab[1:]
			o, ok := orgs[string(org)]
			if !ok {
				o.id = string(org)
			}
			s.OrgID, s.OrgKind = o.id, o.kind
			if len(entity) > 0 {
				s.EntityID = string(entity)
			}
			if l, ok := lists[string(ls)]; ok {
				s.Labels = l
			} else {
				l, err := parseList(ls)
				if err != nil {
					return fmt.Errorf("signal %s labels: %w", sigID, err)
				}
				lists[string(ls)] = l
				s.Labels = l
			}
			s.Distribution, s.TLP = ksp.Distribution(intern(dist)), ksp.TLP(intern(tlp))
			if retracted.Valid {
				s.Retracted = &ksp.Time{}
			}
			if s.Distribution == ksp.DistAudience {
				s.Audience = audiences[sigID+"/"+s.OrgID]
			}
			cur.Submissions = append(cur.Submissions, s)
			return nil
		})
		if err != nil {
			return err
		}
		return send()
	}
	err := db.each(ctx, `SELECT sig.id, sig.type, sig.value, sig.created_at, sig.resolution, sig.resolved_at, sig.resolved_labels,
		s.id, s.org_id, s.distribution, s.tlp, s.quality, s.content_type, s.labels, s.basis, s.entity_id, s.incident_id, s.severity, s.flags, s.created_at, s.updated_at, s.retracted_at
		FROM signals sig JOIN submissions s ON s.signal_id = sig.id ORDER BY sig.id`, nil, func(rows *sql.Rows) error {
		var (
			sigID, typ, value, resolution                           string
			sigCreated, created, updated                            int64
			resolvedAt, quality, retracted                          sql.NullInt64
			resolvedLabels, dist, tlp, ctype, labels, basis, sev, f sql.RawBytes
			s                                                       ksp.Submission
		)
		if err := rows.Scan(&sigID, &typ, &value, &sigCreated, &resolution, &resolvedAt, &resolvedLabels,
			&s.ID, &s.OrgID, &dist, &tlp, &quality, &ctype, &labels, &basis, &s.EntityID, &s.IncidentID, &sev, &f, &created, &updated, &retracted); err != nil {
			return err
		}
		if cur == nil || cur.ID != sigID {
			if err := send(); err != nil {
				return err
			}
			cur = &ksp.SignalState{ID: sigID, Type: intern([]byte(typ)), Value: value, Created: fromMicros(sigCreated), Resolution: resolution, ResolvedAt: ptrTime(resolvedAt)}
			if err := setResolvedLabels(cur, resolvedLabels); err != nil {
				return err
			}
		}
		var err error
		if s.Labels, err = parseList(labels); err != nil {
			return fmt.Errorf("submission %s labels: %w", s.ID, err)
		}
		if s.Flags, err = parseList(f); err != nil {
			return fmt.Errorf("submission %s flags: %w", s.ID, err)
		}
		o := orgs[s.OrgID]
		s.SignalID, s.OrgName, s.OrgKind, s.OrgNamed = sigID, o.name, o.kind, o.named
		s.Distribution, s.TLP = ksp.Distribution(intern(dist)), ksp.TLP(intern(tlp))
		s.ContentType, s.Basis, s.Severity = intern(ctype), intern(basis), intern(sev)
		if quality.Valid {
			q := int(quality.Int64)
			s.Quality = &q
		}
		s.Created, s.Updated, s.Retracted = fromMicros(created), fromMicros(updated), ptrTime(retracted)
		if s.Distribution == ksp.DistAudience {
			s.Audience = audiences[s.ID]
		}
		cur.Submissions = append(cur.Submissions, &s)
		return nil
	})
	if err != nil {
		return err
	}
	return send()
}

// each runs a query and calls fn for every row.
func (db *DB) each(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
