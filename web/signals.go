package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
)

// The hash bank's pages: the signals list, sharing a signal, a signal's
// page with its feedback, retraction and resolution forms, the negative
// bank, staff's disputes queue and the dashboard's "New signals" panel.
// "Check an image" is in check.go.

func (s *Server) registerSignals() {
	s.Handle("GET /signals", SignedIn, s.signals)
	s.Handle("GET /signals/export", SignedIn, s.exportSignals)
	s.Handle("GET /signals/new", SignedIn, s.newSignalForm)
	s.Handle("POST /signals", SignedIn, s.shareSignal)
	s.registerShareImage()
	s.registerNegatives()
	s.Handle("GET /signals/{id}", SignedIn, s.signal)
	s.Handle("POST /signals/{id}/feedback", SignedIn, s.signalFeedback)
	s.Handle("POST /signals/{id}/retract", SignedIn, s.retractSignal)
	s.Handle("POST /signals/{id}/resolve", StaffOnly, s.resolveSignal)
	s.Handle("GET /staff/disputes", StaffOnly, s.disputes)
	s.AddNav(NavItem{Label: "Signals", Path: "/signals", Show: SignedIn})
	s.registerCheck()
	s.AddPanel(Panel{Title: "New signals", Render: s.newSignalsPanel})
	s.AddPanel(Panel{Title: "Your signals this month", Render: s.matchesPanel})
}

func init() {
	funcs["human"] = human
	funcs["short"] = shortValue
	funcs["choices"] = newChoices
	funcs["percent"] = func(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" }
	funcs["reason"] = notActionableText
	funcs["sharedWith"] = sharedWith
	funcs["statusBadge"] = statusBadge
	funcs["tlpMeaning"] = func(t ksp.TLP) string { return tlpWords[t] }
	funcs["feedbackWords"] = feedbackWords
	funcs["dihedralChoice"] = func() []Choice {
		return []Choice{{Value: "yes", Label: "Also search rotated and mirrored copies", Hint: "Finds content that was flipped or turned to evade the bank. Slower."}}
	}
	funcs["confirmChoice"] = func(label string) []Choice { return []Choice{{Value: "yes", Label: label}} }
	funcs["reasonShort"] = func(reason string) string {
		if w, ok := map[string]string{"negative_bank": "In the negative bank", "government_only_unconfirmed": "Government only, unconfirmed"}[reason]; ok {
			return w
		}
		return human(reason)
	}
}

// feedbackWords sums up verdict counts: "2 true positive, 1 disputed".
func feedbackWords(fb map[string]int) string {
	var out []string
	for _, v := range ksp.Verdicts {
		if n := fb[v]; n > 0 {
			out = append(out, fmt.Sprintf("%d %s", n, strings.ToLower(human(v))))
		}
	}
	return strings.Join(out, ", ")
}

// statusBadge renders a signal's status.
func statusBadge(status string) template.HTML {
	switch status {
	case ksp.StatusActive:
		return `<span class="badge badge-ok">Active</span>`
	case ksp.StatusDisputed:
		return `<span class="badge badge-warn">Disputed</span>`
	}
	return template.HTML(`<span class="badge">` + template.HTMLEscapeString(human(status)) + `</span>`)
}

// human turns a vocabulary word into words: "graphic_violence" →
// "Graphic violence".
func human(v any) string {
	s := strings.ReplaceAll(fmt.Sprint(v), "_", " ")
	switch s {
	case "pdq", "md5", "url":
		return strings.ToUpper(s)
	case "sha256":
		return "SHA-256"
	case "newsworthy or documentation":
		return "Newsworthy or documentation"
	case "":
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// shortValue shortens a hash or URL for a table cell; the full value is
// shown beside it.
func shortValue(v string) string {
	r := []rune(v)
	if len(r) <= 24 {
		return v
	}
	return string(r[:12]) + "…" + string(r[len(r)-8:])
}

// Vocabulary explained for people.
var (
	typeWords = map[string]string{
		ksp.TypePDQ: "PDQ perceptual hash (64 hexadecimal digits): finds the same picture after resizing or re-encoding",
		ksp.TypeMD5: "MD5 (32 hexadecimal digits): finds the exact same file", ksp.TypeSHA256: "SHA-256 (64 hexadecimal digits): finds the exact same file",
		ksp.TypeURL: "URL: a web address where the content was found",
	}
	contentTypeWords = map[string]string{"photo": "Photo or image", "video": "Video", "pdf": "PDF document", "audio": "Audio", "text": "Text", "url": "Web page"}
	flagNames        = map[string]string{"graphic": "Graphic", "contains_pii": "Contains personal data", "official": "Official", "context_sensitive": "Context-sensitive"}
	labelWords       = map[string]string{
		"imminent_threat":  "A threat of violence that may be carried out soon",
		"graphic_violence": "Shows killing, injury or other graphic violence",
		"glorification":    "Praises attacks, attackers or terrorist groups",
		"recruitment":      "Invites people to join, fund or support a group",
		"instruction":      "Teaches how to attack or to make weapons or explosives",
		"propaganda":       "Promotes a terrorist group or its ideology",
		"attack_content":   "Recorded or streamed by a perpetrator during an attack",
		"manifesto":        "A perpetrator's statement of motives",
	}
	basisWords = map[string]string{
		"designated_entity":   "Produced by or for an entity on a designation list the programme follows. Name the entity below: its name, list reference number or ID.",
		"perpetrator_content": "Produced by the perpetrator of an attack about that attack. Give the incident's ID below.",
		"branded_publication": "Carries the branding of a terrorist organisation (magazines, posters, videos of its media offices).",
		"other":               "Meets the programme's definition of terrorist content but none of the above. Give your reason below; staff review these first.",
	}
	severityWords = map[string]string{
		"low": "Old or little-shared material", "medium": "The usual case", "high": "Spreading now, or especially harmful",
		"crisis": "Linked to an attack in progress or just over",
	}
	flagWords = map[string]string{
		"graphic":           "Reviewers should be warned before they look",
		"contains_pii":      "Identifies victims or bystanders: a URL is then shown in full only to staff and to your organisation",
		"official":          "Produced by the entity itself",
		"context_sensitive": "Can be legitimate in some contexts, such as news or research",
	}
	distributionWords = map[ksp.Distribution]string{
		ksp.DistMembers:  "Every member organisation can see it",
		ksp.DistAudience: "Only the organisations you choose below (and yours) can see it",
		ksp.DistOwner:    "Only your organisation can see it",
	}
	tlpWords = map[ksp.TLP]string{
		ksp.TLPClear:       "Recipients may share it without limit",
		ksp.TLPGreen:       "Recipients may share it within their community, but not publicly",
		ksp.TLPAmber:       "Recipients may share it only inside their organisation and with those who need it to protect it",
		ksp.TLPAmberStrict: "Recipients may share it only inside their own organisation",
		ksp.TLPRed:         "For the recipients' eyes only: not to be passed on (only with your organisation or a named audience)",
	}
	verdictWords = map[string]string{
		ksp.VerdictTruePositive:  "Confirmed: terrorist content, correctly labelled",
		ksp.VerdictFalsePositive: "Not terrorist content: it does not belong in the bank",
		ksp.VerdictWrongLabel:    "Terrorist content, but the labels are wrong",
		ksp.VerdictDisputed:      "Ask staff to review it: escalates at once",
		ksp.VerdictNewsworthy:    "News reporting, research or documentation, which the inclusion policy keeps out",
		ksp.VerdictSeen:          "Seen on our service, without a judgement",
	}
	resolutionWords = map[string]string{
		"upheld":     "Upheld: the signal stays as it is; verdicts given so far no longer dispute it",
		"relabelled": "Relabelled: the signal stays with the labels chosen below, for every viewer",
		"removed":    "Removed: the signal is retracted for everyone",
	}
)

// notActionableText explains a not-actionable reason in words.
func notActionableText(reason string) string {
	switch reason {
	case "disputed":
		return "Disputed: members objected to this signal and staff have not resolved it yet."
	case "retracted":
		return "Retracted: every organisation that shared it withdrew it, or staff removed it."
	case "negative_bank":
		return "In the negative bank: this value must never count as a match (a logo, a stock image or a known false positive)."
	case "government_only_unconfirmed":
		return "Only governments shared it, and no platform has confirmed it yet."
	case "":
		return ""
	}
	return human(reason) + "."
}

// sharedWith says in words who a submission reaches.
func sharedWith(d ksp.Distribution, audience int) string {
	switch d {
	case ksp.DistOwner:
		return "your organisation only"
	case ksp.DistAudience:
		if audience == 1 {
			return "1 named organisation"
		}
		return strconv.Itoa(audience) + " named organisations"
	}
	return "all members"
}

// Choice is one radio button or checkbox of a question.
type Choice struct {
	Value, Label, Hint string
}

// ChoiceGroup is a question answered with radios or checkboxes (the
// "choices" template in layout.html).
type ChoiceGroup struct {
	Name, Legend, Kind, Hint, Error string
	Items                           []ChoiceItem
}

// ChoiceItem is one rendered choice.
type ChoiceItem struct {
	ID, Value, Label, Hint string
	Checked                bool
}

// newChoices builds a question for the "choices" template: kind is radio
// or checkbox; the first choice gets the id f-NAME, so that the error
// summary links to it.
func newChoices(p *Page, name, legend, kind, hint string, opts []Choice) ChoiceGroup {
	g := ChoiceGroup{Name: name, Legend: legend, Kind: kind, Hint: hint, Error: p.ErrorFor(name)}
	for i, o := range opts {
		id := "f-" + name
		if i > 0 {
			id += "-" + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
					return r
				}
				return '-'
			}, o.Value)
		}
		g.Items = append(g.Items, ChoiceItem{ID: id, Value: o.Value, Label: o.Label, Hint: o.Hint, Checked: p.Checked(name, o.Value)})
	}
	return g
}

func choicesOf[T ~string](values []T, words map[T]string, label func(T) string) []Choice {
	out := make([]Choice, 0, len(values))
	for _, v := range values {
		out = append(out, Choice{Value: string(v), Label: label(v), Hint: words[v]})
	}
	return out
}

func humanOf[T ~string](v T) string { return human(string(v)) }

// SignalChoices are the vocabularies the hash bank's forms offer.
type SignalChoices struct {
	Types, ContentTypes, Labels, Bases, Severities, Flags, Distributions, TLPs, Verdicts, Resolutions, Audience []Choice
}

func signalChoices() SignalChoices {
	return SignalChoices{
		Types:        choicesOf(ksp.SignalTypes, typeWords, humanOf[string]),
		ContentTypes: choicesOf(ksp.ContentTypes, nil, func(v string) string { return contentTypeWords[v] }),
		Labels:       choicesOf(ksp.Labels, labelWords, humanOf[string]),
		Bases:        choicesOf(ksp.Bases, basisWords, humanOf[string]),
		Severities:   choicesOf(ksp.Severities, severityWords, humanOf[string]),
		Flags:        choicesOf(ksp.SignalFlags, flagWords, func(v string) string { return flagNames[v] }),
		Distributions: choicesOf([]ksp.Distribution{ksp.DistMembers, ksp.DistAudience, ksp.DistOwner}, distributionWords, func(d ksp.Distribution) string {
			return map[ksp.Distribution]string{ksp.DistMembers: "All members", ksp.DistAudience: "Organisations I choose", ksp.DistOwner: "My organisation only"}[d]
		}),
		TLPs:        choicesOf(ksp.TLPs, tlpWords, func(t ksp.TLP) string { return "TLP:" + string(t) }),
		Verdicts:    choicesOf(ksp.Verdicts, verdictWords, humanOf[string]),
		Resolutions: choicesOf(ksp.Resolutions, resolutionWords, humanOf[string]),
	}
}

// mayShare reports whether the viewer's role lets it share signals, give
// feedback and add to the negative bank.
func mayShare(a *ksp.Actor) bool { return a.HasRole(ksp.RoleAnalyst) && !a.Suspended }

// synced brings the matcher up to date after a write, so that the next
// check reflects it.
func (s *Server) synced(r *http.Request) {
	if s.cfg.Matcher == nil {
		return
	}
	if err := s.cfg.Matcher.Sync(r.Context()); err != nil {
		s.log.Warn("matcher sync after write failed", "err", err)
	}
}

// ---- The list: bank.go ----

// ---- Sharing ----

// NewSignalData is the share form's content.
type NewSignalData struct {
	Choices SignalChoices
	// Entities are the entities the typed name may mean (see
	// lookupShareEntity); EntityQuery is that name.
	Entities    []EntityCandidate
	EntityQuery string
	// Image is what an uploaded image hashed to (shareimage.go).
	Image   *ImageHashes
	MaxSize string
	// Incidents are the active incidents the sharer may see, offered for
	// basis perpetrator_content.
	Incidents []*ksp.Incident
}

var shareLabels = map[string]string{
	"type": "Type", "value": "Value", "quality": "PDQ quality", "content_type": "Content type", "labels": "Labels",
	"basis": "Basis", "entity_id": "Entity", "incident_id": "Incident ID", "basis_reason": "Reason", "severity": "Severity",
	"flags": "Flags", "distribution": "Who can see it", "audience": "Organisations", "tlp": "TLP", "policy_version": "Policy version",
}

// shareMessages word the common problems of the share form for people;
// other reasons are shown as the store gives them.
var shareMessages = map[[2]string]string{
	{"type", "required"}:              "Choose the type of value",
	{"labels", "required"}:            "Choose at least one label",
	{"content_type", "required"}:      "Choose the content type",
	{"basis", "required"}:             "Choose why this is in scope",
	{"entity_id", "required"}:         "Enter the entity's name, list reference number or ID: the basis is a designated entity",
	{"entity_id", entityChoose}:       "Choose the entity you mean from the list below the field, then share again",
	{"entity_id", entityNoMatch}:      "No entity has this name, list reference number or ID: try another spelling, or find it on the Entities page",
	{"incident_id", "required"}:       "Enter the incident's ID: the basis is perpetrator content",
	{"basis_reason", "required"}:      "Enter the reason this is in scope: the basis is other",
	{"audience", "required"}:          "Choose at least one organisation to share with",
	{"distribution", "never_public"}:  "Signals are never public: choose who can see it",
	{"distribution", "red_too_broad"}: "TLP:RED signals can only go to your organisation or to organisations you choose",
}

// shareErrors turns the store's validation error into messages for the
// share form.
func shareErrors(f ksp.Fields) []FormError {
	var out []FormError
	seen := map[string]bool{}
	for _, e := range f {
		if seen[e.Field] {
			continue
		}
		seen[e.Field] = true
		key := e.Reason
		switch {
		case strings.HasPrefix(e.Reason, "required with basis"), e.Reason == "at least one label is required", strings.HasPrefix(e.Reason, "name at least one organisation"):
			key = "required"
		case e.Reason == "this kind of item is never public":
			key = "never_public"
		case strings.HasPrefix(e.Reason, "TLP:RED items"):
			key = "red_too_broad"
		case e.Field == "content_type" && strings.HasPrefix(e.Reason, "must be one of"):
			key = "required"
		case e.Field == "type" && strings.HasPrefix(e.Reason, "must be one of"):
			key = "required"
		}
		if m, ok := shareMessages[[2]string{e.Field, key}]; ok {
			out = append(out, FormError{Field: e.Field, Message: m})
			continue
		}
		field, label := e.Field, shareLabels[e.Field]
		if label == "" {
			field, label = "value", "Value"
		}
		out = append(out, FormError{Field: field, Message: sentence(label, e.Reason)})
	}
	return out
}

func (s *Server) shareForm(w http.ResponseWriter, r *http.Request, status int, p *Page, entities ...EntityCandidate) error {
	a := ksp.ActorFrom(r.Context())
	if !mayShare(a) {
		s.errorPage(w, r, http.StatusForbidden, "Analysts share signals", "Sharing signals needs the analyst role. Ask an admin of your organisation.")
		return nil
	}
	c := signalChoices()
	var err error
	if c.Audience, err = s.audienceChoices(r, a.OrgID); err != nil {
		return err
	}
	p.Title = "Share a signal"
	img, _ := p.Data.(*ImageHashes)
	p.Incidents = s.activeIncidents(r)
	if p.Incidents == nil {
		p.Incidents = []*ksp.Incident{}
	}
	p.Data = NewSignalData{Choices: c, Incidents: p.Incidents, Entities: entities, EntityQuery: p.Form.Get("entity_query"), Image: img, MaxSize: byteSize(s.cfg.MaxImageBytes)}
	return s.render(w, r, status, "signal_new.html", p)
}

func (s *Server) newSignalForm(w http.ResponseWriter, r *http.Request) error {
	form := url.Values{"distribution": {string(ksp.DefaultDistribution)}, "tlp": {string(ksp.DefaultTLP)}, "severity": {"medium"}}
	if t := r.URL.Query().Get("type"); slices.Contains(ksp.SignalTypes, t) {
		form.Set("type", t)
	}
	if v := r.URL.Query().Get("value"); v != "" && len(v) <= 4096 {
		form.Set("value", v)
	}
	if q := r.URL.Query().Get("quality"); q != "" && len(q) <= 3 {
		form.Set("quality", q)
	}
	return s.shareForm(w, r, http.StatusOK, &Page{Form: form})
}

// submissionFromForm reads the share form; problems it finds itself (a
// quality that is not a number, no basis) come back as fields.
func submissionFromForm(form url.Values) (ksp.SubmissionInput, ksp.Fields) {
	var f ksp.Fields
	in := ksp.SubmissionInput{
		Type: form.Get("type"), Value: form.Get("value"), ContentType: form.Get("content_type"), Labels: form["labels"],
		Basis: form.Get("basis"), EntityID: strings.TrimSpace(form.Get("entity_id")), IncidentID: strings.TrimSpace(form.Get("incident_id")),
		BasisReason: strings.TrimSpace(form.Get("basis_reason")), Severity: form.Get("severity"), Flags: form["flags"],
		Distribution: ksp.Distribution(form.Get("distribution")), TLP: ksp.TLP(form.Get("tlp")),
	}
	if in.Distribution == ksp.DistAudience {
		in.Audience = form["audience"]
	}
	if strings.TrimSpace(in.Value) == "" {
		f.Add("value", "required")
	}
	if q := strings.TrimSpace(form.Get("quality")); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil {
			f.Add("quality", "enter a whole number from 0 to 100, or leave it empty")
		} else {
			in.Quality = &n
		}
	}
	if in.Basis == "" {
		f.Add("basis", "required")
	}
	if in.Distribution == "" {
		f.Add("distribution", "choose who can see it")
	}
	return in, f
}

func (s *Server) shareSignal(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "the form could not be read")
	}
	in, local := submissionFromForm(r.PostForm)
	p := &Page{Form: r.PostForm}
	entities, entityReason, err := s.lookupShareEntity(r, r.PostForm, &in)
	if err != nil {
		return err
	}
	if entityReason != "" {
		local = append(local, ksp.FieldError{Field: "entity_id", Reason: entityReason})
	}
	if len(local) > 0 {
		// Show every problem at once: the store's checks too.
		c := in
		if entityReason != "" {
			c.EntityID = "" // a name, not yet an entity: judged above
		}
		var f ksp.Fields
		c.Normalize(&f)
		for _, e := range f {
			if !slices.ContainsFunc(local, func(x ksp.FieldError) bool { return x.Field == e.Field }) {
				local = append(local, e)
			}
		}
		p.Errors = shareErrors(orderFields(local))
		return s.shareForm(w, r, http.StatusBadRequest, p, entities...)
	}
	res, err := s.store.Submit(r.Context(), in)
	if ke := (*ksp.Error)(nil); errors.As(err, &ke) && ke.Code == ksp.EINVALID {
		p.Errors = shareErrors(orderFields(ke.Fields))
		if len(p.Errors) == 0 {
			p.Errors = []FormError{{Field: "value", Message: ke.Message}}
		}
		return s.shareForm(w, r, http.StatusBadRequest, p)
	}
	if err != nil {
		return err
	}
	s.synced(r)
	sig := res.Signal
	var own *ksp.Submission
	for _, d := range sig.Details {
		if d.OrgID == ksp.ActorFrom(r.Context()).OrgID {
			own = d
		}
	}
	scope := "all members"
	tlp := in.TLP
	if own != nil {
		scope, tlp = sharedWith(own.Distribution, len(own.Audience)), own.TLP
	}
	var msg string
	switch {
	case res.Unchanged:
		msg = fmt.Sprintf("You had already shared this signal with the same details: nothing changed. It is shared with %s (TLP:%s).", scope, tlp)
	case res.Created:
		msg = fmt.Sprintf("Signal shared with %s (TLP:%s).", scope, tlp)
	case own != nil && !own.Created.Equal(own.Updated.Time):
		msg = fmt.Sprintf("You had already shared this signal: updated. It is shared with %s (TLP:%s).", scope, tlp)
	default:
		msg = fmt.Sprintf("Already shared by another member: your submission was added, shared with %s (TLP:%s).", scope, tlp)
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/signals/"+sig.ID)
}

// orderFields puts field errors in the form's order, so that the error
// summary reads top to bottom.
func orderFields(f []ksp.FieldError) ksp.Fields {
	order := []string{"type", "value", "quality", "content_type", "labels", "basis", "entity_id", "incident_id", "basis_reason", "severity", "flags", "distribution", "audience", "tlp"}
	out := slices.Clone(f)
	rank := func(x string) int {
		if i := slices.Index(order, x); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(out, func(a, b ksp.FieldError) int { return rank(a.Field) - rank(b.Field) })
	return out
}

// ---- A signal's page ----

// SignalData is a signal page's content.
type SignalData struct {
	Signal  *ksp.Signal
	History []*ksp.HistoryEntry
	// Own is the viewer's organisation's submission, if any; Audience names
	// the organisations it is shared with.
	Own      *ksp.Submission
	Audience []string
	IsURL    bool
	CanShare bool
	Staff    bool
	Choices  SignalChoices
	// Matches is the "what this signal did" block (matchstats.go), empty
	// for a viewer that may not see the counts.
	Matches template.HTML
}

func (s *Server) signalPage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	ctx := r.Context()
	a := ksp.ActorFrom(ctx)
	sig, err := s.store.FindSignalByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	hist, err := s.store.SignalHistory(ctx, sig.ID)
	if err != nil {
		return err
	}
	d := SignalData{Signal: sig, History: hist, IsURL: sig.Type == ksp.TypeURL && !sig.ValueRedacted, CanShare: mayShare(a), Staff: a.Staff, Choices: signalChoices()}
	for _, sub := range sig.Details {
		if sub.OrgID == a.OrgID {
			d.Own = sub
		}
	}
	if d.Own != nil {
		for _, id := range d.Own.Audience {
			name := "an organisation that left"
			if o, err := s.store.FindOrgByID(ctx, id); err == nil {
				name = o.Name
			}
			d.Audience = append(d.Audience, name)
		}
		slices.Sort(d.Audience)
	}
	if d.Matches, err = s.signalMatches(r, sig); err != nil {
		return err
	}
	p.Title = human(sig.Type) + " signal"
	p.Data = d
	return s.render(w, r, status, "signal.html", p)
}

func (s *Server) signal(w http.ResponseWriter, r *http.Request) error {
	return s.signalPage(w, r, http.StatusOK, &Page{})
}

func (s *Server) signalFeedback(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	in := ksp.FeedbackInput{Verdict: r.PostFormValue("verdict"), Comment: strings.TrimSpace(r.PostFormValue("comment"))}
	if in.Verdict == "" {
		return s.signalPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: []FormError{{"verdict", "Choose your verdict"}}})
	}
	sig, err := s.store.GiveFeedback(r.Context(), id, in)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.signalPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, map[string]string{"verdict": "Verdict", "comment": "Comment"}, "verdict")})
	}
	if err != nil {
		return err
	}
	s.synced(r)
	msg := "Your organisation's verdict is recorded: " + strings.ToLower(human(in.Verdict)) + "."
	if sig.Status == ksp.StatusDisputed {
		msg += " The signal is disputed: staff will review it, and matches on it are not actionable until then."
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/signals/"+id)
}

func (s *Server) retractSignal(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		return s.signalPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: []FormError{{"confirm", "Tick the box to confirm that your organisation withdraws its submission"}}})
	}
	sig, err := s.store.Retract(r.Context(), id)
	switch ksp.ErrorCode(err) {
	case "":
	case ksp.EINVALID, ksp.ECONFLICT:
		s.flash(w, r, "warning", "Nothing was withdrawn: "+ksp.ErrorMessage(err)+".")
		return redirect(w, r, "/signals/"+id)
	default:
		return err
	}
	s.synced(r)
	msg := "Your submission was withdrawn. "
	if sig.Status == ksp.StatusRetracted {
		msg += "No other submission of this signal that your organisation may see remains, so for you it is retracted: it no longer counts as a match."
	} else {
		msg += fmt.Sprintf("Other members still share this signal with you (%d submissions).", sig.Submissions)
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/signals/"+id)
}

func (s *Server) resolveSignal(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	in := ksp.ResolveInput{Resolution: r.PostFormValue("resolution"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	if in.Resolution == "relabelled" {
		in.Labels = r.PostForm["new_labels"]
	}
	var errs []FormError
	if in.Resolution == "" {
		errs = append(errs, FormError{"resolution", "Choose how the dispute is resolved"})
	}
	if in.Reason == "" {
		errs = append(errs, FormError{"reason", "Enter the reasons for the resolution: members see them in the history"})
	}
	if in.Resolution == "relabelled" && len(in.Labels) == 0 {
		errs = append(errs, FormError{"new_labels", "Choose the new labels"})
	}
	if errs != nil {
		return s.signalPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: errs})
	}
	_, err := s.store.Resolve(r.Context(), id, in)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return s.signalPage(w, r, http.StatusBadRequest, &Page{Form: r.PostForm, Errors: formErrors(err, map[string]string{"resolution": "Resolution", "reason": "Reasons", "labels": "New labels"}, "resolution")})
	}
	if err != nil {
		return err
	}
	s.synced(r)
	msg := map[string]string{
		"upheld":     "Dispute resolved: the signal is upheld and active again.",
		"relabelled": "Dispute resolved: the signal is relabelled (" + strings.Join(in.Labels, ", ") + ") for every viewer.",
		"removed":    "Dispute resolved: the signal is removed for everyone.",
	}[in.Resolution]
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/signals/"+id)
}

// ---- The negative bank ----

// ---- Staff's disputes queue ----

// DisputesData is the disputes queue's content.
type DisputesData struct {
	Signals []*ksp.Signal
	Pager   Pager
}

func (s *Server) disputes(w http.ResponseWriter, r *http.Request) error {
	st := ksp.StatusDisputed
	cursor := r.URL.Query().Get("cursor")
	list, next, err := s.store.FindSignals(r.Context(), ksp.SignalFilter{Status: &st, Page: ksp.Page{Limit: 25, Cursor: cursor}})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "disputes.html", &Page{Title: "Disputed signals", Data: DisputesData{Signals: list, Pager: pagerFor(r, next)}})
}

// ---- The dashboard panel ----

func (s *Server) newSignalsPanel(r *http.Request) (template.HTML, error) {
	list, _, err := s.store.FindSignals(r.Context(), ksp.SignalFilter{Page: ksp.Page{Limit: 5}})
	if err != nil || len(list) == 0 {
		return "", err
	}
	return s.Fragment("signals.html", "panel", list)
}

// audienceChoices lists the member organisations an item's audience may
// name, by name: every member but own (the owner always sees its own) and
// the staff organisation (staff see everything).
func (s *Server) audienceChoices(r *http.Request, own string) ([]Choice, error) {
	st := ksp.OrgStatusMember
	orgs, _, err := s.store.FindOrgs(r.Context(), ksp.OrgFilter{Status: &st, Page: ksp.Page{Limit: ksp.MaxLimit}})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(orgs, func(x, y *ksp.Org) int { return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) })
	var out []Choice
	for _, o := range orgs {
		if o.ID != own && o.Kind != ksp.KindStaff {
			out = append(out, Choice{Value: o.ID, Label: o.Name, Hint: human(o.Kind)})
		}
	}
	return out, nil
}
