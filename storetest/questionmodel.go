package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
)

// The Q&A reference model: random questions of random sharing, answers,
// votes, accepts and suspensions, each applied to the store and to a plain
// Go model; after each step every viewer's list (in small pages), reads,
// counts, votes and search are compared with what the model says it may
// see. Seeds are logged; -model.seed replays one.

type qmAnswer struct {
	id    string
	org   int
	votes map[int]bool
}

type qmQuestion struct {
	id       string
	n        int
	owner    int
	s        ksp.Sharing
	answers  []*qmAnswer
	votes    map[int]bool
	accepted string
}

type qaModel struct {
	t         *testing.T
	db        Store
	rng       *rand.Rand
	orgs      []*ksp.Org // members 0..3, staff last
	ctx       []context.Context
	suspended []bool
	qs        []*qmQuestion
}

func (m *qaModel) viewer(i int) ksp.Viewer {
	if i == len(m.orgs) {
		return ksp.Viewer{}
	}
	o := m.orgs[i]
	return ksp.Viewer{OrgID: o.ID, Staff: o.ID == ksp.StaffOrgID, Suspended: m.suspended[i]}
}

func (m *qaModel) context(i int) context.Context {
	if i == len(m.orgs) {
		return context.Background()
	}
	a := ksp.ActorFrom(m.ctx[i])
	a2 := *a
	a2.Suspended = m.suspended[i]
	return ksp.NewContext(context.Background(), &a2)
}

func (m *qaModel) sees(i int, q *qmQuestion) bool { return ksp.CanSee(m.viewer(i), q.s) }

// mayWrite reports whether viewer i may post at all (a member in good
// standing or staff).
func (m *qaModel) mayWrite(i int) bool { return i < len(m.orgs) && !m.suspended[i] }

func testQuestionModel(t *testing.T, open Opener) {
	steps := 120
	if raceDetector {
		steps = 30
	}
	if *modelSteps > 0 {
		steps = *modelSteps
	}
	seed := *modelSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("Q&A model: %d steps, seed %d (replay with -model.seed=%d)", steps, seed, seed)
	db := open(t)
	w := newQAWorld(t, db)
	staffOrg := w.StaffOrg(t)
	m := &qaModel{t: t, db: db, rng: rand.New(rand.NewPCG(seed, seed^0x51ed2701)),
		orgs:      []*ksp.Org{w.Platform, w.Startup, w.Gov, w.Uni, staffOrg},
		ctx:       []context.Context{As(w.Platform, w.PlatAdmin), As(w.Startup, w.StartAdm), As(w.Gov, w.GovAdmin), As(w.Uni, w.UniUser), As(staffOrg, w.StaffUser)},
		suspended: make([]bool, 5)}
	for step := range steps {
		op := m.step()
		if err := m.check(step%10 == 0); err != "" {
			t.Fatalf("step %d (%s): %s (seed %d)", step, op, err, seed)
		}
	}
}

// step applies one random operation and checks its outcome.
func (m *qaModel) step() string {
	rng, db := m.rng, m.db
	who := rng.IntN(len(m.orgs) + 1) // the last is anonymous
	ctx := m.context(who)
	pick := func() *qmQuestion {
		if len(m.qs) == 0 {
			return nil
		}
		return m.qs[rng.IntN(len(m.qs))]
	}
	switch r := rng.IntN(10); {
	case r < 3 || len(m.qs) == 0:
		if who >= len(m.orgs) {
			who = rng.IntN(len(m.orgs))
			ctx = m.context(who)
		}
		var audience []string
		for _, o := range m.orgs[:4] {
			if rng.IntN(2) == 0 && o.ID != m.orgs[who].ID {
				audience = append(audience, o.ID)
			}
		}
		if len(audience) == 0 {
			audience = []string{m.orgs[(who+1)%4].ID}
		}
		all := validSharings(m.orgs[who].ID, audience...)
		s := all[rng.IntN(len(all))]
		n := len(m.qs)
		q := &ksp.Question{Title: fmt.Sprintf("qamodel question %d", n), Body: "body of qamodel", Sharing: s}
		err := db.CreateQuestion(ctx, q)
		if !m.mayWrite(who) {
			if err == nil {
				m.t.Fatalf("org %d (suspended %v) could ask", who, m.suspended[who])
			}
			return "ask refused"
		}
		must(m.t, err)
		slices.Sort(s.Audience)
		m.qs = append(m.qs, &qmQuestion{id: q.ID, n: n, owner: who, s: s, votes: map[int]bool{}})
		return fmt.Sprintf("org %d asks %d (%s/%s)", who, n, s.Distribution, s.TLP)
	case r < 5:
		q := pick()
		a, err := db.AnswerQuestion(ctx, q.id, "an answer")
		switch {
		case !m.mayWrite(who):
			if err == nil {
				m.t.Fatalf("org %d could answer while it may not write", who)
			}
		case !m.sees(who, q):
			wantCode(m.t, err, ksp.ENOTFOUND)
		default:
			must(m.t, err)
			q.answers = append(q.answers, &qmAnswer{id: a.ID, org: who, votes: map[int]bool{}})
		}
		return fmt.Sprintf("org %d answers %d", who, q.n)
	case r < 7:
		q := pick()
		up := rng.IntN(3) > 0
		if len(q.answers) > 0 && rng.IntN(2) == 0 {
			a := q.answers[rng.IntN(len(q.answers))]
			_, err := db.VoteAnswer(ctx, q.id, a.id, up)
			m.expectVote(err, who, q, a.org, a.votes, up)
			return fmt.Sprintf("org %d votes %v on an answer of %d", who, up, q.n)
		}
		_, err := db.VoteQuestion(ctx, q.id, up)
		m.expectVote(err, who, q, q.owner, q.votes, up)
		return fmt.Sprintf("org %d votes %v on %d", who, up, q.n)
	case r < 8:
		q := pick()
		if len(q.answers) == 0 {
			return "nothing to accept"
		}
		a := q.answers[rng.IntN(len(q.answers))]
		_, err := db.AcceptAnswer(ctx, q.id, a.id)
		switch {
		case !m.mayWrite(who):
			if err == nil {
				m.t.Fatalf("org %d could accept while it may not write", who)
			}
		case !m.sees(who, q):
			wantCode(m.t, err, ksp.ENOTFOUND)
		case who != q.owner:
			wantCode(m.t, err, ksp.EFORBIDDEN)
		default:
			must(m.t, err)
			q.accepted = a.id
		}
		return fmt.Sprintf("org %d accepts on %d", who, q.n)
	default:
		// Suspend or reinstate one of the members.
		o := rng.IntN(4)
		st := ksp.OrgStatusSuspended
		if m.suspended[o] {
			st = ksp.OrgStatusMember
		}
		_, err := db.UpdateOrg(Staff(), m.orgs[o].ID, ksp.OrgUpdate{Status: &st})
		must(m.t, err)
		changedByHand(db)
		m.suspended[o] = !m.suspended[o]
		return fmt.Sprintf("org %d now %s", o, st)
	}
}

func (m *qaModel) expectVote(err error, who int, q *qmQuestion, author int, votes map[int]bool, up bool) {
	switch {
	case !m.mayWrite(who):
		if err == nil {
			m.t.Fatalf("org %d could vote while it may not write", who)
		}
	case !m.sees(who, q):
		wantCode(m.t, err, ksp.ENOTFOUND)
	case who == author:
		wantCode(m.t, err, ksp.EFORBIDDEN)
	default:
		must(m.t, err)
		if up {
			votes[who] = true
		} else {
			delete(votes, who)
		}
	}
}

// check compares every viewer's reading with the model; full also reads
// every question one by one.
func (m *qaModel) check(full bool) string {
	for vi := 0; vi <= len(m.orgs); vi++ {
		ctx := m.context(vi)
		var want []string
		for i := len(m.qs) - 1; i >= 0; i-- {
			if m.sees(vi, m.qs[i]) {
				want = append(want, m.qs[i].id)
			}
		}
		var got []string
		cursor := ""
		limit := 1 + m.rng.IntN(4)
		for pages := 0; pages <= len(m.qs)+1; pages++ {
			qs, next, err := m.db.FindQuestions(ctx, ksp.QuestionFilter{Page: ksp.Page{Limit: limit, Cursor: cursor}})
			if err != nil {
				return fmt.Sprintf("viewer %d list: %v", vi, err)
			}
			for _, q := range qs {
				got = append(got, q.ID)
				if e := m.compare(vi, q); e != "" {
					return e
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if !slices.Equal(got, want) {
			return fmt.Sprintf("viewer %d lists %d questions, model %d", vi, len(got), len(want))
		}
		if len(m.qs) > 0 {
			hits, _, err := m.db.Search(ctx, ksp.SearchQuery{Q: "qamodel", Types: []string{ksp.SearchQuestion}, Page: ksp.Page{Limit: 100}})
			if err != nil {
				return fmt.Sprintf("viewer %d search: %v", vi, err)
			}
			var found []string
			for _, h := range hits {
				found = append(found, h.ID)
			}
			slices.Sort(found)
			sorted := slices.Clone(want)
			slices.Sort(sorted)
			if !slices.Equal(found, sorted) {
				return fmt.Sprintf("viewer %d search finds %d questions, model %d", vi, len(found), len(sorted))
			}
		}
		if !full {
			continue
		}
		for _, mq := range m.qs {
			q, err := m.db.FindQuestionByID(ctx, mq.id)
			if !m.sees(vi, mq) {
				if ksp.ErrorCode(err) != ksp.ENOTFOUND {
					return fmt.Sprintf("viewer %d reads invisible question %d: %v", vi, mq.n, err)
				}
				continue
			}
			if err != nil {
				return fmt.Sprintf("viewer %d reads question %d: %v", vi, mq.n, err)
			}
			if e := m.compare(vi, q); e != "" {
				return e
			}
			if len(q.Answers) != len(mq.answers) {
				return fmt.Sprintf("viewer %d sees %d answers of %d, model %d", vi, len(q.Answers), mq.n, len(mq.answers))
			}
			for _, a := range q.Answers {
				i := slices.IndexFunc(mq.answers, func(x *qmAnswer) bool { return x.id == a.ID })
				if i < 0 {
					return fmt.Sprintf("unknown answer %s", a.ID)
				}
				ma := mq.answers[i]
				if a.Votes != len(ma.votes) || a.Voted != (vi < len(m.orgs) && ma.votes[vi]) || a.Accepted != (ma.id == mq.accepted) {
					return fmt.Sprintf("viewer %d answer of %d: votes %d voted %v accepted %v; model %d %v %v", vi, mq.n, a.Votes, a.Voted, a.Accepted,
						len(ma.votes), ma.votes[vi], ma.id == mq.accepted)
				}
				if e := m.comparePartyOf(vi, ma.org, a.By); e != "" {
					return "answer by: " + e
				}
			}
		}
	}
	return ""
}

func (m *qaModel) find(id string) *qmQuestion {
	for _, q := range m.qs {
		if q.id == id {
			return q
		}
	}
	return nil
}

// compare checks one question as viewer vi reads it.
func (m *qaModel) compare(vi int, q *ksp.Question) string {
	mq := m.find(q.ID)
	if mq == nil {
		return "unknown question " + q.ID
	}
	if q.Votes != len(mq.votes) || q.Voted != (vi < len(m.orgs) && mq.votes[vi]) || q.AnswerCount != len(mq.answers) || q.AcceptedAnswerID != mq.accepted {
		return fmt.Sprintf("viewer %d question %d: votes %d voted %v answers %d accepted %q; model %d %v %d %q", vi, mq.n, q.Votes, q.Voted, q.AnswerCount,
			q.AcceptedAnswerID, len(mq.votes), mq.votes[vi], len(mq.answers), mq.accepted)
	}
	if q.Distribution != mq.s.Distribution || q.TLP != mq.s.TLP {
		return fmt.Sprintf("question %d sharing %s/%s, model %s/%s", mq.n, q.Distribution, q.TLP, mq.s.Distribution, mq.s.TLP)
	}
	insider := vi < len(m.orgs) && (m.orgs[vi].ID == ksp.StaffOrgID || vi == mq.owner)
	if insider && !slices.Equal(q.Audience, mq.s.Audience) || !insider && (len(q.Audience) > 0 || q.OwnerOrgID != "") {
		return fmt.Sprintf("viewer %d question %d audience %v owner %q", vi, mq.n, q.Audience, q.OwnerOrgID)
	}
	if e := m.comparePartyOf(vi, mq.owner, q.Asker); e != "" {
		return "asker: " + e
	}
	return ""
}

// comparePartyOf checks how viewer vi is shown the org at index org.
func (m *qaModel) comparePartyOf(vi, org int, p ksp.Party) string {
	o := m.orgs[org]
	insider := vi < len(m.orgs) && (m.orgs[vi].ID == ksp.StaffOrgID || vi == org)
	wantName := o.Name
	if !insider && !o.Named && o.Kind != ksp.KindStaff {
		wantName = ksp.DescribeOrg(o.Kind, o.Size)
	}
	if p.Name != wantName || (p.OrgID != "") != insider || p.Expert != ksp.Expert(o.Kind, o.Size) {
		return fmt.Sprintf("viewer %d sees org %d as %+v, want name %q", vi, org, p, wantName)
	}
	return ""
}
