package ksp

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// NoticeAlertDue is the type of the reminder an alert's receiver gets
// before the deadline; the incident notices take their event's type.
const NoticeAlertDue = "alert.due_soon"

// NoticeAlertPage is the type of the page every staff member gets, at
// once, when an urgent alert (a threat to life, or a removal order) routes
// to no member and waits with staff to be forwarded.
const NoticeAlertPage = "alert.unrouted_urgent"

// AlertReminderLead is how long before its deadline an unanswered alert's
// receiver is reminded by mail (once).
const AlertReminderLead = 15 * time.Minute

// Notice is one mail notice to the users who should hear of an event: the
// users of every org that may see an incident, or those who answer an
// alert. It carries no URL and no incident text: mail leaves the instance,
// and the page behind the link applies the sharing rule.
type Notice struct {
	Type     string
	ObjectID string
	// Title is the incident's title, left empty when its TLP forbids it
	// to leave the instance (RED, AMBER+STRICT).
	Title string
	// Kind and Tier describe an alert; Due is its deadline.
	Kind, Tier string
	Due        *Time
	To         []string
}

// NoticeService finds what to tell by mail. TakeNotices returns, once
// each, the incident events not yet told and the unanswered alerts whose
// deadline falls within AlertReminderLead of now, marking them told (so
// several servers on one database may run it side by side). Staff only
// (the periodic job's system actor).
type NoticeService interface {
	TakeNotices(ctx context.Context, now time.Time) ([]*Notice, error)
	// TakeStaffPages returns, once each, a NoticeAlertPage to every active
	// staff user for each open alert that is a threat to life or a removal
	// order and routes to no member, marking it paged (several servers
	// may run it side by side). It is cheap when there is nothing to page,
	// so it may run at every event commit. Staff only.
	TakeStaffPages(ctx context.Context, now time.Time) ([]*Notice, error)
}

// Mails renders the notice as one mail per recipient, linking to its page
// under publicURL.
func (n *Notice) Mails(publicURL string) []Mail {
	base := strings.TrimSuffix(publicURL, "/")
	var subject, text string
	title := n.Title
	if title == "" {
		title = "(title not sent by mail: sign in to read it)"
	}
	switch n.Type {
	case EventIncidentActivated:
		subject = "KSP incident activated"
		text = "An incident was activated on KSP: " + title + "\n\nFollow it at " + base + "/incidents/" + n.ObjectID + "\n"
	case EventIncidentUpdated:
		subject = "KSP incident updated"
		text = "An active incident has a new update: " + title + "\n\nRead it at " + base + "/incidents/" + n.ObjectID + "\n"
	case EventIncidentClosed:
		subject = "KSP incident closed"
		text = "An incident was closed: " + title + "\n\nThe debrief is at " + base + "/incidents/" + n.ObjectID + "\n"
	case NoticeAlertDue:
		subject = "KSP alert due soon"
		due := ""
		if n.Due != nil {
			due = " by " + n.Due.UTC().Format("15:04 UTC on 2 Jan 2006")
		}
		text = fmt.Sprintf("An alert to your organisation (%s) is still unanswered and due%s.\n\nAnswer it at %s/alerts/%s\n", alertWhat(n.Kind, n.Tier), due, base, n.ObjectID)
	case NoticeAlertPage:
		subject = "KSP URGENT: " + alertWhat(n.Kind, n.Tier) + " routes to no member"
		text = fmt.Sprintf("An urgent alert (%s) matches no member's verified domain and waits with staff.\n\nForward it now at %s/alerts/%s\n", alertWhat(n.Kind, n.Tier), base, n.ObjectID)
	default:
		return nil
	}
	text += "\nYou receive this because your organisation may see it on KSP.\n"
	out := make([]Mail, 0, len(n.To))
	for _, to := range n.To {
		out = append(out, Mail{To: to, Subject: subject, Text: text})
	}
	return out
}

// alertWhat names an alert's kind and tier in words.
func alertWhat(kind, tier string) string {
	what := strings.ReplaceAll(kind, "_", " ")
	if tier != "" {
		what += ", " + strings.ReplaceAll(tier, "_", " ")
	}
	return what
}

// PageDigest is the mail of several staff pages taken at once (a burst of
// urgent alerts): one message per recipient listing every alert, instead of
// one per alert. A single page is mailed as it is (Notice.Mails).
func PageDigest(ns []*Notice, publicURL string) []Mail {
	if len(ns) == 1 {
		return ns[0].Mails(publicURL)
	}
	base := strings.TrimSuffix(publicURL, "/")
	var list strings.Builder
	var to []string
	for _, n := range ns {
		fmt.Fprintf(&list, "- %s: %s/alerts/%s\n", alertWhat(n.Kind, n.Tier), base, n.ObjectID)
		for _, r := range n.To {
			if !slices.Contains(to, r) {
				to = append(to, r)
			}
		}
	}
	subject := fmt.Sprintf("KSP URGENT: %d alerts route to no member", len(ns))
	text := fmt.Sprintf("%d urgent alerts match no member's verified domain and wait with staff. Forward them now:\n\n%s\nYou receive this because your organisation may see it on KSP.\n", len(ns), list.String())
	out := make([]Mail, 0, len(to))
	for _, r := range to {
		out = append(out, Mail{To: r, Subject: subject, Text: text})
	}
	return out
}
