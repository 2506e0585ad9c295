package demo

import (
	"context"
	"fmt"

	"github.com/kspplatform/ksp"
)

// SeedQuestions gives the community's questions something to show: a
// start-up's questions answered by a large platform, the academic
// institute and staff, one answer accepted, a few votes, and a public
// question anyone can read. A database that already has questions is left
// alone.
func SeedQuestions(ctx context.Context, w *World) error {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:demo"))
	have, _, err := w.Store.FindQuestions(sys, ksp.QuestionFilter{Page: ksp.Page{Limit: 1}})
	if err != nil {
		return fmt.Errorf("demo questions: %w", err)
	}
	if len(have) > 0 {
		return nil
	}
	as := func(local, org string) context.Context {
		return ksp.NewContext(ctx, w.Actor(local+"@"+ksp.Slugify(org)+".example"))
	}
	startup := as("admin", "Pixelboard")
	small := as("admin", "Threadly")
	large := as("analyst", "Vidstream")
	research := as("admin", "Institute for Online Extremism Research")
	staff := ksp.NewContext(ctx, w.Actor(Staff[0].Local+"@"+staffDomain))
	members := ksp.Sharing{Distribution: ksp.DistMembers, TLP: ksp.TLPGreen}

	type answer struct {
		by     context.Context
		body   string
		accept bool
	}
	items := []struct {
		by      context.Context
		q       *ksp.Question
		answers []answer
		voters  []context.Context
	}{
		{startup, &ksp.Question{Title: "How do we write our first terms of service on terrorist content?",
			Body: "We are a team of six running an image-sharing app. Our terms say nothing about violent extremism yet.\n\n" +
				"- What should the clause **prohibit**, and how specific should it be?\n- Do we name designated organisations, or refer to lists?",
			Tags: []string{"terms-of-service", "startups"}, Sharing: members}, []answer{
			{large, "Start from a short prohibition of content that *promotes, supports or glorifies* terrorist organisations or attacks, " +
				"and refer to the designation lists you follow (the UN Security Council list at least) rather than naming groups in the terms themselves.\n\n" +
				"Keep the examples in a separate, public policy page you can update without changing the terms.", true},
			{research, "Our research on small platforms suggests stating the **exceptions** as clearly as the rule: news reporting, research and " +
				"counter-speech. Over-broad clauses lead to over-removal, which is hard to undo.", false},
			{staff, "The library has model clauses (search for *terms of service*); a mentor can go through yours with you — see Mentoring.", false},
		}, []context.Context{large, research, small}},
		{small, &ksp.Question{Title: "What should our first transparency report count?",
			Body: "We remove a few hundred items a quarter. Which figures do regulators and researchers actually read?",
			Tags: []string{"transparency"}, Sharing: ksp.Sharing{Distribution: ksp.DistPublic, TLP: ksp.TLPClear}}, []answer{
			{research, "At least: items actioned by policy area, how you found them (user report, hash match, referral), appeals and reversals, " +
				"and median time to action. Publish the method with the numbers.", true},
		}, []context.Context{startup}},
		{startup, &ksp.Question{Title: "Is hash matching worth it for a team of six?",
			Body: "Setting up PDQ matching looks like work. Does it pay off at our size?", Tags: []string{"tooling", "hashing"}, Sharing: members}, nil, nil},
	}
	for _, it := range items {
		if err := w.Store.CreateQuestion(it.by, it.q); err != nil {
			return fmt.Errorf("demo questions: %w", err)
		}
		for _, a := range it.answers {
			x, err := w.Store.AnswerQuestion(a.by, it.q.ID, a.body)
			if err != nil {
				return fmt.Errorf("demo questions: answer: %w", err)
			}
			if a.accept {
				if _, err := w.Store.AcceptAnswer(it.by, it.q.ID, x.ID); err != nil {
					return fmt.Errorf("demo questions: accept: %w", err)
				}
			}
			if a.by != it.by {
				if _, err := w.Store.VoteAnswer(it.by, it.q.ID, x.ID, true); err != nil {
					return fmt.Errorf("demo questions: vote: %w", err)
				}
			}
		}
		for _, v := range it.voters {
			if _, err := w.Store.VoteQuestion(v, it.q.ID, true); err != nil {
				return fmt.Errorf("demo questions: vote: %w", err)
			}
		}
	}
	return nil
}
