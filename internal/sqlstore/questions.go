package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// questionCols are the columns scanQuestion reads, for questions aliased q
// joined to the asking org aliased o; the last one says whether the user
// given as its argument voted for the question.
const questionCols = `q.id, q.title, q.body, q.tags, q.owner_org_id, q.author_name, q.distribution, q.tlp, q.votes, q.answer_count,
	q.accepted_answer_id, q.created_at, q.updated_at, o.name, o.kind, o.size, o.named,
	EXISTS (SELECT 1 FROM community_votes cv WHERE cv.item_id = q.id AND cv.user_id = ?)`

const questionFrom = ` FROM questions q JOIN orgs o ON o.id = q.owner_org_id`

// questionRow is a question as read, before the asker is cut to what the
// viewer may see of it.
type questionRow struct {
	q                       *ksp.Question
	person, orgName, orgKnd string
	size                    string
	named                   bool
}

func scanQuestion(sc interface{ Scan(...any) error }) (*questionRow, error) {
	var q ksp.Question
	row := questionRow{q: &q}
	var tags, dist, tlp string
	var created, updated int64
	if err := sc.Scan(&q.ID, &q.Title, &q.Body, &tags, &q.OwnerOrgID, &row.person, &dist, &tlp, &q.Votes, &q.AnswerCount,
		&q.AcceptedAnswerID, &created, &updated, &row.orgName, &row.orgKnd, &row.size, &row.named, &q.Voted); err != nil {
		return nil, err
	}
	q.Distribution, q.TLP = ksp.Distribution(dist), ksp.TLP(tlp)
	if err := unmarshalList(tags, &q.Tags); err != nil {
		return nil, fmt.Errorf("question %s tags: %w", q.ID, err)
	}
	q.Created, q.Updated = fromMicros(created), fromMicros(updated)
	return &row, nil
}

// show cuts the row to what v may see: the asker as a Party, the audience
// to the owner and staff only.
func (r *questionRow) show(v ksp.Viewer) *ksp.Question {
	q := r.q
	q.Asker = ksp.MakeParty(v, q.OwnerOrgID, r.orgName, ksp.OrgKind(r.orgKnd), r.size, r.named, r.person)
	if !v.Staff && v.OrgID != q.OwnerOrgID {
		q.OwnerOrgID, q.Audience = "", nil
	}
	return q
}

// userOf is the user whose votes a read reports ("" for none).
func userOf(a *ksp.Actor) string {
	if a == nil {
		return ""
	}
	return a.UserID
}

// visibleQuestion reads a question through the sharing rule (in the
// query), with its audience, as it is stored.
func (db *DB) visibleQuestion(ctx context.Context, q querier, a *ksp.Actor, id string) (*questionRow, error) {
	if !ksp.ValidID(id) {
		return nil, ksp.NotFound("question")
	}
	vis, args := Visible(a.Viewer(), "q", "id")
	row, err := scanQuestion(q.QueryRowContext(ctx, db.rebind(`SELECT `+questionCols+questionFrom+` WHERE q.id = ? AND `+vis),
		append([]any{userOf(a), id}, args...)...))
	if isNoRows(err) {
		return nil, ksp.NotFound("question")
	}
	if err != nil {
		return nil, fmt.Errorf("find question: %w", err)
	}
	if err := db.loadQuestionAudiences(ctx, q, []*ksp.Question{row.q}); err != nil {
		return nil, err
	}
	return row, nil
}

func (db *DB) loadQuestionAudiences(ctx context.Context, q querier, qs []*ksp.Question) error {
	byID := map[string]*ksp.Question{}
	var args []any
	for _, x := range qs {
		if x.Distribution == ksp.DistAudience {
			byID[x.ID] = x
			args = append(args, x.ID)
		}
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT item_id, org_id FROM audiences WHERE item_id IN (`+placeholders(len(args))+`) ORDER BY org_id`), args...)
	if err != nil {
		return fmt.Errorf("load question audiences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var item, org string
		if err := rows.Scan(&item, &org); err != nil {
			return fmt.Errorf("load question audiences: %w", err)
		}
		byID[item].Audience = append(byID[item].Audience, org)
	}
	return rows.Err()
}

// auditQuestionReads records one audit event for a staff request that read
// restricted questions of other orgs, as for the library.
func (db *DB) auditQuestionReads(ctx context.Context, a *ksp.Actor, action string, qs []*ksp.Question) error {
	if a == nil || !a.Staff {
		return nil
	}
	var ids []string
	for _, q := range qs {
		if q.OwnerOrgID != a.OrgID && ksp.Restricted(q.Sharing) {
			ids = append(ids, q.ID)
		}
	}
	return db.auditRestrictedReads(ctx, a, action, "questions", "questions", ids)
}

// FindQuestionByID returns a question the caller may see, with its
// answers; a staff read of a restricted one is audited.
func (db *DB) FindQuestionByID(ctx context.Context, id string) (*ksp.Question, error) {
	a := ksp.ActorFrom(ctx)
	row, err := db.visibleQuestion(ctx, db.sql, a, id)
	if err != nil {
		return nil, err
	}
	if err := db.auditQuestionReads(ctx, a, "question.staff_read", []*ksp.Question{row.q}); err != nil {
		return nil, err
	}
	answers, err := db.findAnswers(ctx, db.sql, a, row.q)
	if err != nil {
		return nil, err
	}
	q := row.show(a.Viewer())
	q.Answers = answers
	return q, nil
}

const answerCols = `a.id, a.question_id, a.body, a.org_id, a.author_name, a.votes, a.created_at, o.name, o.kind, o.size, o.named,
	EXISTS (SELECT 1 FROM community_votes cv WHERE cv.item_id = a.id AND cv.user_id = ?)`

func scanAnswer(sc interface{ Scan(...any) error }, v ksp.Viewer) (*ksp.Answer, error) {
	var x ksp.Answer
	var orgID, person, orgName, kind, size string
	var named bool
	var created int64
	if err := sc.Scan(&x.ID, &x.QuestionID, &x.Body, &orgID, &person, &x.Votes, &created, &orgName, &kind, &size, &named, &x.Voted); err != nil {
		return nil, err
	}
	x.Created = fromMicros(created)
	x.By = ksp.MakeParty(v, orgID, orgName, ksp.OrgKind(kind), size, named, person)
	return &x, nil
}

// findAnswers reads the answers of a question the caller has been shown:
// accepted first, then by votes, then oldest first.
func (db *DB) findAnswers(ctx context.Context, q querier, a *ksp.Actor, qu *ksp.Question) ([]*ksp.Answer, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT `+answerCols+` FROM answers a JOIN orgs o ON o.id = a.org_id
		WHERE a.question_id = ? ORDER BY CASE WHEN a.id = ? THEN 0 ELSE 1 END, a.votes DESC, a.created_at, a.id`), userOf(a), qu.ID, qu.AcceptedAnswerID)
	if err != nil {
		return nil, fmt.Errorf("find answers: %w", err)
	}
	defer rows.Close()
	out := []*ksp.Answer{}
	for rows.Next() {
		x, err := scanAnswer(rows, a.Viewer())
		if err != nil {
			return nil, fmt.Errorf("find answers: %w", err)
		}
		x.Accepted = x.ID == qu.AcceptedAnswerID
		out = append(out, x)
	}
	return out, rows.Err()
}

// FindQuestions lists the questions the caller may see, newest first; the
// sharing rule and the filters are in the query, so a page is never cut by
// what the caller cannot see.
func (db *DB) FindQuestions(ctx context.Context, f ksp.QuestionFilter) ([]*ksp.Question, string, error) {
	a := ksp.ActorFrom(ctx)
	var fe ksp.Fields
	if f.Tag != nil {
		t := strings.ToLower(strings.TrimSpace(*f.Tag))
		f.Tag = &t
		if !ksp.ValidTag(t) {
			fe.Add("tag", "a tag is 1–40 of a-z, 0-9, _ and -")
		}
	}
	if f.Page.Limit > ksp.MaxLimit {
		fe.Add("limit", "at most 1000")
	}
	if f.Mine && (a == nil || a.OrgID == "") {
		fe.Add("mine", "sign in to list your organisation's questions")
	}
	if err := fe.Err(); err != nil {
		return nil, "", err
	}
	vis, visArgs := Visible(a.Viewer(), "q", "id")
	where := []string{vis}
	args := append([]any{userOf(a)}, visArgs...)
	if f.Tag != nil {
		where = append(where, `q.tag_lines LIKE ? ESCAPE '\'`)
		args = append(args, likeLine(*f.Tag))
	}
	if f.Unanswered {
		where = append(where, "q.accepted_answer_id = ''")
	}
	if f.Mine {
		where = append(where, "q.owner_org_id = ?")
		args = append(args, a.OrgID)
	}
	pw, pargs, limit, err := pageQuery(f.Page, "q.id")
	if err != nil {
		return nil, "", err
	}
	where = append(where, pw)
	args = append(args, pargs...)
	rows, err := db.query(ctx, `SELECT `+questionCols+questionFrom+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY q.id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find questions: %w", err)
	}
	defer rows.Close()
	var list []*questionRow
	for rows.Next() {
		row, err := scanQuestion(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find questions: %w", err)
		}
		list = append(list, row)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find questions: %w", err)
	}
	rows.Close()
	list, next := cut(list, f.Page, func(r *questionRow) string { return r.q.ID })
	qs := make([]*ksp.Question, len(list))
	for i, r := range list {
		qs[i] = r.q
	}
	if err := db.loadQuestionAudiences(ctx, db.sql, qs); err != nil {
		return nil, "", err
	}
	if err := db.auditQuestionReads(ctx, a, "question.staff_list", qs); err != nil {
		return nil, "", err
	}
	out := make([]*ksp.Question, len(list))
	for i, r := range list {
		out[i] = r.show(a.Viewer())
	}
	return out, next, nil
}

// communityWriter checks that the actor may post in the community: an
// analyst (or staff) of an org in good standing, read again inside the
// write with checkCommunityStanding.
func communityWriter(ctx context.Context, what string) (*ksp.Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.HasRole(ksp.RoleAnalyst) {
		return nil, ksp.Errorf(ksp.EFORBIDDEN, "to %s you need the analyst role", what)
	}
	if a.Suspended && !a.Staff {
		return nil, errSuspended(what)
	}
	return a, nil
}

// checkCommunityStanding reads the org's status inside the write, since a
// key resolved before a suspension still says "member".
func (tx *Tx) checkCommunityStanding(a *ksp.Actor, what string) error {
	if a.Staff {
		return nil
	}
	var status string
	err := tx.queryRow(`SELECT status FROM orgs WHERE id = ?`, a.OrgID).Scan(&status)
	if isNoRows(err) {
		return ksp.Errorf(ksp.EFORBIDDEN, "your organisation no longer exists")
	}
	if err != nil {
		return fmt.Errorf("check org status: %w", err)
	}
	if status == ksp.OrgStatusSuspended {
		return errSuspended(what)
	}
	return nil
}

// CreateQuestion stores q, asked by the caller for its org.
func (db *DB) CreateQuestion(ctx context.Context, q *ksp.Question) error {
	a, err := communityWriter(ctx, "ask a question")
	if err != nil {
		return err
	}
	ksp.NormalizeQuestion(q)
	q.OwnerOrgID = a.OrgID
	var fe ksp.Fields
	ksp.ValidateQuestion(q, &fe)
	if err := fe.Err(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.checkCommunityStanding(a, "ask a question"); err != nil {
			return err
		}
		if err := tx.checkAudience(q.Audience); err != nil {
			return err
		}
		name, err := tx.authorName(a)
		if err != nil {
			return err
		}
		q.ID = ksp.NewID()
		q.Created, q.Updated = tx.now, tx.now
		q.Votes, q.AnswerCount, q.AcceptedAnswerID, q.Voted, q.Answers = 0, 0, "", false, []*ksp.Answer{}
		if _, err := tx.exec(`INSERT INTO questions (id, title, body, tags, tag_lines, owner_org_id, author_id, author_name, distribution, tlp, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			q.ID, q.Title, q.Body, jsonList(q.Tags), lines(q.Tags), q.OwnerOrgID, a.UserID, name, string(q.Distribution), string(q.TLP),
			micros(q.Created), micros(q.Updated)); err != nil {
			return fmt.Errorf("create question: %w", err)
		}
		if q.Distribution == ksp.DistAudience {
			if err := tx.setAudience(q.ID, q.Audience); err != nil {
				return err
			}
		}
		var o ksp.Org
		if err := tx.queryRow(`SELECT name, kind, size, named FROM orgs WHERE id = ?`, a.OrgID).Scan(&o.Name, &o.Kind, &o.Size, &o.Named); err != nil {
			return fmt.Errorf("create question: asker org: %w", err)
		}
		q.Asker = ksp.MakeParty(a.Viewer(), a.OrgID, o.Name, o.Kind, o.Size, o.Named, name)
		return tx.audit("question.create", "question:"+q.ID, q.OwnerOrgID, map[string]any{
			"title": q.Title, "distribution": string(q.Distribution), "tlp": string(q.TLP)})
	})
}

// AnswerQuestion adds the caller's answer to a question it may see.
func (db *DB) AnswerQuestion(ctx context.Context, questionID, body string) (*ksp.Answer, error) {
	a, err := communityWriter(ctx, "answer a question")
	if err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	var fe ksp.Fields
	ksp.ValidateAnswer(body, &fe)
	var out *ksp.Answer
	err = db.write(ctx, func(tx *Tx) error {
		// Not found comes before bad input: an invisible question must not
		// be told apart from a missing one by the answer's errors.
		row, err := db.visibleQuestion(tx.ctx, tx, a, questionID)
		if err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := tx.checkCommunityStanding(a, "answer a question"); err != nil {
			return err
		}
		name, err := tx.authorName(a)
		if err != nil {
			return err
		}
		x := &ksp.Answer{ID: ksp.NewID(), QuestionID: row.q.ID, Body: body, Created: tx.now}
		if _, err := tx.exec(`INSERT INTO answers (id, question_id, org_id, author_id, author_name, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			x.ID, x.QuestionID, a.OrgID, a.UserID, name, x.Body, micros(x.Created)); err != nil {
			return fmt.Errorf("answer question: %w", err)
		}
		if _, err := tx.exec(`UPDATE questions SET answer_count = answer_count + 1, updated_at = ? WHERE id = ?`, micros(tx.now), row.q.ID); err != nil {
			return fmt.Errorf("answer question: %w", err)
		}
		var o ksp.Org
		if err := tx.queryRow(`SELECT name, kind, size, named FROM orgs WHERE id = ?`, a.OrgID).Scan(&o.Name, &o.Kind, &o.Size, &o.Named); err != nil {
			return fmt.Errorf("answer question: org: %w", err)
		}
		x.By = ksp.MakeParty(a.Viewer(), a.OrgID, o.Name, o.Kind, o.Size, o.Named, name)
		out = x
		return tx.audit("question.answer", "question:"+row.q.ID, a.OrgID, map[string]any{"answer": x.ID})
	})
	return out, err
}

// AcceptAnswer marks an answer of the question as accepted: the asking
// organisation's call alone (not even staff's).
func (db *DB) AcceptAnswer(ctx context.Context, questionID, answerID string) (*ksp.Question, error) {
	a, err := communityWriter(ctx, "accept an answer")
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		row, err := db.visibleQuestion(tx.ctx, tx, a, questionID)
		if err != nil {
			return err
		}
		if row.q.OwnerOrgID != a.OrgID {
			return ksp.Errorf(ksp.EFORBIDDEN, "only the organisation that asked the question may accept an answer")
		}
		if err := tx.checkCommunityStanding(a, "accept an answer"); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM answers WHERE id = ? AND question_id = ?`, answerID, row.q.ID).Scan(&n); err != nil {
			return fmt.Errorf("accept answer: %w", err)
		}
		if n == 0 || !ksp.ValidID(answerID) {
			return ksp.NotFound("answer")
		}
		if _, err := tx.exec(`UPDATE questions SET accepted_answer_id = ?, updated_at = ? WHERE id = ?`, answerID, micros(tx.now), row.q.ID); err != nil {
			return fmt.Errorf("accept answer: %w", err)
		}
		return tx.audit("question.accept", "question:"+row.q.ID, row.q.OwnerOrgID, map[string]any{"answer": answerID})
	})
	if err != nil {
		return nil, err
	}
	return db.FindQuestionByID(ctx, questionID)
}

// vote records (up) or removes (!up) the caller's vote for item and keeps
// the item's count in step. It reports nothing when the vote was already
// as asked: voting twice counts once.
func (tx *Tx) vote(a *ksp.Actor, table, itemID, authorID string, up bool) error {
	if a.UserID == "" {
		return ksp.Errorf(ksp.EFORBIDDEN, "votes are given by people: sign in as a user")
	}
	if authorID == a.UserID {
		return ksp.Errorf(ksp.EFORBIDDEN, "you cannot vote for your own post")
	}
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM community_votes WHERE item_id = ? AND user_id = ?`, itemID, a.UserID).Scan(&n); err != nil {
		return fmt.Errorf("vote: %w", err)
	}
	delta := 0
	switch {
	case up && n == 0:
		if _, err := tx.exec(`INSERT INTO community_votes (item_id, user_id, created_at) VALUES (?, ?, ?)`, itemID, a.UserID, micros(tx.now)); err != nil {
			return fmt.Errorf("vote: %w", err)
		}
		delta = 1
	case !up && n > 0:
		if _, err := tx.exec(`DELETE FROM community_votes WHERE item_id = ? AND user_id = ?`, itemID, a.UserID); err != nil {
			return fmt.Errorf("vote: %w", err)
		}
		delta = -1
	default:
		return nil
	}
	if _, err := tx.exec(`UPDATE `+table+` SET votes = votes + ? WHERE id = ?`, delta, itemID); err != nil {
		return fmt.Errorf("vote: %w", err)
	}
	action := "question.vote"
	if !up {
		action = "question.unvote"
	}
	return tx.audit(action, table[:len(table)-1]+":"+itemID, a.OrgID, nil)
}

// VoteQuestion gives or takes back the caller's vote for a question.
func (db *DB) VoteQuestion(ctx context.Context, questionID string, up bool) (*ksp.Question, error) {
	a, err := communityWriter(ctx, "vote")
	if err != nil {
		return nil, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := db.visibleQuestion(tx.ctx, tx, a, questionID); err != nil {
			return err
		}
		if err := tx.checkCommunityStanding(a, "vote"); err != nil {
			return err
		}
		var author string
		if err := tx.queryRow(`SELECT author_id FROM questions WHERE id = ?`, questionID).Scan(&author); err != nil {
			return fmt.Errorf("vote: %w", err)
		}
		return tx.vote(a, "questions", questionID, author, up)
	})
	if err != nil {
		return nil, err
	}
	return db.FindQuestionByID(ctx, questionID)
}

// VoteAnswer gives or takes back the caller's vote for an answer of a
// question it may see.
func (db *DB) VoteAnswer(ctx context.Context, questionID, answerID string, up bool) (*ksp.Answer, error) {
	a, err := communityWriter(ctx, "vote")
	if err != nil {
		return nil, err
	}
	var qu *ksp.Question
	err = db.write(ctx, func(tx *Tx) error {
		row, err := db.visibleQuestion(tx.ctx, tx, a, questionID)
		if err != nil {
			return err
		}
		qu = row.q
		if err := tx.checkCommunityStanding(a, "vote"); err != nil {
			return err
		}
		var author string
		err = tx.queryRow(`SELECT author_id FROM answers WHERE id = ? AND question_id = ?`, answerID, questionID).Scan(&author)
		if isNoRows(err) {
			return ksp.NotFound("answer")
		}
		if err != nil {
			return fmt.Errorf("vote: %w", err)
		}
		return tx.vote(a, "answers", answerID, author, up)
	})
	if err != nil {
		return nil, err
	}
	x, err := scanAnswer(db.queryRow(ctx, `SELECT `+answerCols+` FROM answers a JOIN orgs o ON o.id = a.org_id WHERE a.id = ?`, userOf(a), answerID), a.Viewer())
	if err != nil {
		return nil, fmt.Errorf("vote: %w", err)
	}
	x.Accepted = x.ID == qu.AcceptedAnswerID
	return x, nil
}
