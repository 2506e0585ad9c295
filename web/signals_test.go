package web

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/storetest"
)

// lateMatcher lets the harness build the web server before the bank that
// reads its store exists.
type lateMatcher struct{ ksp.Matcher }

// bankHarness is the harness with an in-memory matcher over its store.
func bankHarness(t *testing.T, cfg Config) (*harness, *bank.Bank) {
	t.Helper()
	lm := &lateMatcher{}
	cfg.Matcher = lm
	h := newHarness(t, cfg)
	b := bank.New(h.db, slog.New(slog.DiscardHandler))
	if err := b.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	lm.Matcher = b
	return h, b
}

// members seeds two platforms and a government, each with an analyst and
// a viewer, and a staff member.
type members struct {
	a, aViewer, b, gov, staff *account
}

func seedMembers(h *harness) members {
	pa := h.org("Clipshare", ksp.KindPlatform, ksp.SizeSmall)
	pb := h.org("Vidstream", ksp.KindPlatform, ksp.SizeLarge)
	g := h.org("Ministry", ksp.KindGovernment, "")
	return members{
		a:       h.user(pa, "analyst@clipshare.example", ksp.RoleAnalyst, false),
		aViewer: h.user(pa, "viewer@clipshare.example", ksp.RoleViewer, false),
		b:       h.user(pb, "analyst@vidstream.example", ksp.RoleAnalyst, false),
		gov:     h.user(g, "analyst@ministry.example", ksp.RoleAnalyst, false),
		staff:   h.user(h.staffOrg(), "amina@ksp.example", ksp.RoleAdmin, true),
	}
}

func (h *harness) submit(a *account, in ksp.SubmissionInput) *ksp.Signal {
	h.t.Helper()
	res, err := h.db.Submit(asUser(a), in)
	if err != nil {
		h.t.Fatal(err)
	}
	return res.Signal
}

// signalCount counts every signal (as staff).
func (h *harness) signalCount() int {
	h.t.Helper()
	n, cursor := 0, ""
	for {
		list, next, err := h.db.FindSignals(h.sys, ksp.SignalFilter{Page: ksp.Page{Limit: ksp.MaxLimit, Cursor: cursor}})
		if err != nil {
			h.t.Fatal(err)
		}
		n += len(list)
		if next == "" {
			return n
		}
		cursor = next
	}
}

var signalRowRE = regexp.MustCompile(`<tr>\s*<td>[^<]+</td>\s*<td><a href="/signals/([0-9a-f-]{36})"`)

func signalRows(body string) []string {
	var ids []string
	for _, m := range signalRowRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestSignalsList(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	for i := 0; i < 27; i++ {
		h.submit(m.a, storetest.Submission(i, ksp.DistMembers, ksp.TLPGreen))
	}
	md5 := h.submit(m.b, ksp.SubmissionInput{Type: "md5", Value: strings.Repeat("ab", 16), ContentType: "video", Labels: []string{"manifesto"}, Basis: "branded_publication", TLP: ksp.TLPAmber})
	hidden := h.submit(m.b, ksp.SubmissionInput{Type: "md5", Value: strings.Repeat("cd", 16), ContentType: "video", Labels: []string{"manifesto"}, Basis: "branded_publication", Distribution: ksp.DistOwner})
	if _, err := h.db.GiveFeedback(asUser(m.a), md5.ID, ksp.FeedbackInput{Verdict: ksp.VerdictDisputed}); err != nil {
		t.Fatal(err)
	}

	c := h.client()
	c.signIn(m.aViewer, 0)
	c.want(c.get("/signals"), 200, "<h1>Signals</h1>", `aria-current="page">Signals</a>`, "TLP:GREEN", "TLP:AMBER", "Next page", `href="/check"`)
	if strings.Contains(c.body, `href="/signals/new"`) {
		t.Fatal("a viewer is offered the share form")
	}
	first := signalRows(c.body)
	if len(first) != 25 || first[0] != md5.ID {
		t.Fatalf("first page: %d rows, first %v", len(first), first[:1])
	}
	if strings.Contains(c.body, hidden.ID) || strings.Contains(c.body, strings.Repeat("cd", 16)) {
		t.Fatal("another org's private signal is listed")
	}
	// The full value is in a copyable code element beside the short one.
	c.want(c.get("/signals"), 200, `<code id="v-`+md5.ID+`">`+strings.Repeat("ab", 16)+`</code>`, `data-copy="v-`+md5.ID+`"`)
	next := regexp.MustCompile(`href="(/signals\?cursor=[^"]+)">Next page`).FindStringSubmatch(c.body)[1]
	c.want(c.get(strings.ReplaceAll(next, "&amp;", "&")), 200, "First page")
	second := signalRows(c.body)
	if len(second) != 3 || strings.Contains(c.body, "Next page") {
		t.Fatalf("second page: %d rows", len(second))
	}

	// Filters, kept in the form and in the pagination links.
	c.want(c.get("/signals?type=md5"), 200, `<option value="md5" selected>`)
	if ids := signalRows(c.body); len(ids) != 1 || ids[0] != md5.ID {
		t.Fatalf("type filter: %v", ids)
	}
	c.want(c.get("/signals?label=propaganda&type=pdq"), 200, "Next page", "type=pdq", "label=propaganda")
	if ids := signalRows(c.body); len(ids) != 25 || ids[0] == md5.ID {
		t.Fatalf("label filter: %d", len(ids))
	}
	c.want(c.get("/signals?status=disputed"), 200, "Disputed")
	if ids := signalRows(c.body); len(ids) != 1 || ids[0] != md5.ID {
		t.Fatalf("status filter: %v", ids)
	}
	c.want(c.get("/signals?label=recruitment"), 200, "No signals match these filters.")
	// Unknown filter values filter nothing.
	c.want(c.get("/signals?type=tlsh"), 200)
	if len(signalRows(c.body)) != 25 {
		t.Fatal("unknown filter value filtered")
	}

	// Analysts see the share link; an org that sees nothing gets the empty state.
	a := h.client()
	a.signIn(m.a, 0)
	a.want(a.get("/signals"), 200, `href="/signals/new"`, "Share a signal")
	// The dashboard's panel lists the five newest.
	a.want(a.get("/dashboard"), 200, "New signals", "All signals")
	if n := strings.Count(a.body, `<li><a href="/signals/`); n != 5 {
		t.Fatalf("dashboard panel lists %d signals", n)
	}
}

func TestSignalsEmpty(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	v := h.user(h.org("Quiet", ksp.KindAcademia, ""), "r@quiet.example", ksp.RoleViewer, false)
	c := h.client()
	c.signIn(v, 0)
	c.want(c.get("/signals"), 200, "No signals have been shared with your organisation yet.")
	c.want(c.get("/dashboard"), 200, "Nothing new for you yet")
	c.want(c.get("/signals/new"), 403, "Analysts share signals")
	c.want(c.get("/signals/negative"), 403, "Analysts only")
	c.want(c.get("/signals/not-a-signal"), 404, "Page not found")
	c.want(c.get("/signals/"+ksp.NewID()), 404, "Page not found")
}

// shareForm is a valid share form.
func shareForm(value string) url.Values {
	return url.Values{"type": {"pdq"}, "value": {value}, "quality": {"90"}, "content_type": {"photo"}, "labels": {"propaganda", "recruitment"},
		"basis": {"branded_publication"}, "severity": {"high"}, "distribution": {"members"}, "tlp": {"GREEN"}}
}

func with(f url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			out.Del(kv[i])
		} else {
			out.Set(kv[i], kv[i+1])
		}
	}
	return out
}

func TestShareSignalForm(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	c := h.client()
	c.signIn(m.a, 0)
	c.want(c.get("/signals/new"), 200, "Share a signal", "Signals are never public", `id="f-type"`, "Vidstream", "Ministry",
		`id="f-distribution" name="distribution" value="members" checked`, `value="GREEN" checked`)
	if strings.Contains(c.body, `value="`+m.a.org.ID+`"`) {
		t.Fatal("own org offered as audience")
	}
	value := storetest.PDQValue(1)
	tests := []struct {
		name   string
		form   url.Values
		fields []string
		texts  []string
	}{
		{"bad hex", with(shareForm(""), "value", strings.Repeat("z", 64)), []string{"value"}, []string{"Value: not hexadecimal", `value="` + strings.Repeat("z", 64) + `"`}},
		{"wrong length", with(shareForm(""), "value", "abc"), []string{"value"}, []string{"64 hex digits, not 3"}},
		{"low quality", with(shareForm(value), "quality", "30"), []string{"quality"}, []string{"PDQ quality 30 is below 50", `value="30"`}},
		{"quality not a number", with(shareForm(value), "quality", "high"), []string{"quality"}, []string{"whole number"}},
		{"public", with(shareForm(value), "distribution", "public"), []string{"distribution"}, []string{"Signals are never public"}},
		{"red to members", with(shareForm(value), "tlp", "RED"), []string{"distribution"}, []string{"TLP:RED signals can only go"}},
		{"audience without orgs", with(shareForm(value), "distribution", "audience"), []string{"audience"}, []string{"Choose at least one organisation"}},
		{"nothing chosen", url.Values{"value": {value}}, []string{"type", "content_type", "labels", "basis", "distribution"}, []string{"Choose the type of value", "Choose at least one label", "Choose why this is in scope"}},
		{"basis other", with(shareForm(value), "basis", "other"), []string{"basis_reason"}, []string{"Enter the reason this is in scope"}},
		{"entity", with(shareForm(value), "basis", "designated_entity"), []string{"entity_id"}, []string{"Enter the entity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.get("/signals/new")
			res := c.post("/signals", tt.form)
			texts := append([]string{"There is a problem", "<title>Error: Share a signal"}, tt.texts...)
			for _, f := range tt.fields {
				texts = append(texts, `href="#f-`+f+`"`, `id="f-`+f+`-error"`)
			}
			c.want(res, 400, texts...)
			// Input kept: the labels ticked stay ticked.
			if tt.form.Has("labels") && !strings.Contains(c.body, `value="recruitment" checked`) {
				t.Fatal("ticked labels lost")
			}
		})
	}
	c.t = t
	if n := h.signalCount(); n != 0 {
		t.Fatalf("bad input stored %d signals", n)
	}

	// Success: the flash says exactly what happened.
	c.get("/signals/new")
	c.want(c.post("/signals", shareForm(value)), 200, "Signal shared with all members (TLP:GREEN).", "PDQ signal", value, "Propaganda, Recruitment",
		"Who can see your submission", "all members")
	if !strings.HasPrefix(c.url.Path, "/signals/") {
		t.Fatalf("landed on %s", c.url.Path)
	}
	c.get("/signals/new")
	c.want(c.post("/signals", shareForm(value)), 200, "You had already shared this signal with the same details: nothing changed.")
	c.get("/signals/new")
	c.want(c.post("/signals", with(shareForm(value), "severity", "crisis")), 200, "You had already shared this signal: updated.")
	b := h.client()
	b.signIn(m.b, 0)
	b.get("/signals/new")
	b.want(b.post("/signals", with(shareForm(value), "tlp", "AMBER")), 200, "Already shared by another member: your submission was added, shared with all members (TLP:AMBER).",
		"<td>Clipshare</td>"[:4])
	if n := h.signalCount(); n != 1 {
		t.Fatalf("%d signals after merging", n)
	}

	// A named audience: the owner sees who, the audience sees it, others do not.
	other := storetest.PDQValue(2)
	c.get("/signals/new")
	f := with(shareForm(other), "distribution", "audience", "tlp", "RED")
	f["audience"] = []string{m.b.org.ID}
	c.want(c.post("/signals", f), 200, "Signal shared with 1 named organisation (TLP:RED).", "Who can see your submission", "Vidstream")
	id := strings.TrimPrefix(c.url.Path, "/signals/")
	b.want(b.get("/signals/"+id), 200, other, "a member")
	g := h.client()
	g.signIn(m.gov, 0)
	g.want(g.get("/signals/"+id), 404, "Page not found")
	if g.get("/signals"); strings.Contains(g.body, id) {
		t.Fatal("hidden signal listed")
	}
	// Viewers cannot share.
	v := h.client()
	v.signIn(m.aViewer, 0)
	v.want(v.get("/signals/new"), 403, "analyst role")
	v.want(v.post("/signals", shareForm(storetest.PDQValue(3))), 403)
}

func TestSignalURLShownAsText(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	u := "https://video.example/watch?v=attack"
	inc := &ksp.Incident{Type: ksp.IncidentTypeContentIncident, Title: "Attack"}
	if err := h.db.CreateIncident(h.sys, inc); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.ActivateIncident(h.sys, inc.ID, ksp.ActivateIncidentInput{Emergency: true}); err != nil {
		t.Fatal(err)
	}
	sig := h.submit(m.a, ksp.SubmissionInput{Type: "url", Value: u, ContentType: "url", Labels: []string{"attack_content"}, Basis: "perpetrator_content", IncidentID: inc.ID, Severity: "crisis"})
	pii := h.submit(m.a, ksp.SubmissionInput{Type: "url", Value: "https://video.example/victim-name", ContentType: "url", Labels: []string{"attack_content"}, Basis: "branded_publication", Flags: []string{"contains_pii"}})
	c := h.client()
	c.signIn(m.b, 0)
	c.want(c.get("/signals/"+sig.ID), 200, `<code id="signal-value">https://video.example/watch?v=attack</code>`,
		`rel="noopener noreferrer"`, "may show graphic or violent content", "Perpetrator content", "Incident")
	if strings.Contains(c.body, "<img") || strings.Contains(c.body, "<iframe") {
		t.Fatal("content embedded")
	}
	c.want(c.get("/signals/"+pii.ID), 200, "https://video.example/…", "Only the scheme and host are shown")
	if strings.Contains(c.body, "victim-name") || strings.Contains(c.body, "Open this URL") {
		t.Fatal("personal data shown")
	}
}

func TestSignalFeedbackDisputeResolveRetract(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	sig := h.submit(m.a, storetest.Submission(1, ksp.DistMembers, ksp.TLPGreen))
	awayFromStepEdge()
	b := h.client()
	b.signIn(m.b, 0)
	b.want(b.get("/signals/"+sig.ID), 200, "Give feedback", "No feedback yet", "Active")
	if strings.Contains(b.body, "Withdraw your submission") || strings.Contains(b.body, "Resolve the dispute") {
		t.Fatal("another member offered retraction or resolution")
	}
	b.want(b.post("/signals/"+sig.ID+"/feedback", url.Values{"comment": {"x"}}), 400, "Choose your verdict", `href="#f-verdict"`, ">x</textarea>")
	b.want(b.post("/signals/"+sig.ID+"/feedback", url.Values{"verdict": {"disputed"}, "comment": {"This is news footage."}}), 200,
		"verdict is recorded: disputed.", "staff will review it", "Disputed", "This is news footage.", "Verdict: Disputed", "A match on this signal is not actionable")

	// Staff: the queue, then the resolution.
	s := h.client()
	s.signIn(m.staff, 0)
	s.want(s.get("/staff"), 200, `href="/staff/disputes"`, "Disputed signals")
	s.want(s.get("/staff/disputes"), 200, "Disputed signals", sig.ID+"#resolve", "1 disputed", "Clipshare")
	s.want(s.get("/signals/"+sig.ID), 200, "Resolve the dispute", "Vidstream")
	s.want(s.post("/signals/"+sig.ID+"/resolve", url.Values{"resolution": {"relabelled"}}), 400, "Enter the reasons", "Choose the new labels")
	s.want(s.post("/signals/"+sig.ID+"/resolve", url.Values{"resolution": {"relabelled"}, "new_labels": {"glorification"}, "reason": {"Praise, not propaganda."}}), 200,
		"Dispute resolved: the signal is relabelled (glorification)", "Resolved: relabelled", "Praise, not propaganda.", "(set by staff)")
	s.want(s.get("/staff/disputes"), 200, "No signal is disputed.")
	// Members cannot resolve.
	b.get("/signals/" + sig.ID)
	b.want(b.post("/signals/"+sig.ID+"/resolve", url.Values{"resolution": {"upheld"}, "reason": {"x"}}), 404)
	b.want(b.get("/signals/"+sig.ID), 200, "Glorification", "Verdict: Disputed", "Resolved: relabelled")

	// The owner withdraws, after confirming.
	a := h.client()
	a.signIn(m.a, 0)
	a.want(a.get("/signals/"+sig.ID), 200, "Withdraw your submission", "Who can see your submission")
	a.want(a.post("/signals/"+sig.ID+"/retract", nil), 400, "Tick the box to confirm")
	a.want(a.post("/signals/"+sig.ID+"/retract", url.Values{"confirm": {"yes"}}), 200, "Your submission was withdrawn. No other submission of this signal that your organisation may see remains, so for you it is retracted",
		"Retracted", "withdrew its submission")
	a.want(a.post("/signals/"+sig.ID+"/retract", url.Values{"confirm": {"yes"}}), 200, "Nothing was withdrawn: already retracted.")
	// Viewers may not give feedback.
	v := h.client()
	v.signIn(m.aViewer, 0)
	v.want(v.get("/signals/"+sig.ID), 200, "Analysts of your organisation can give feedback")
	v.want(v.post("/signals/"+sig.ID+"/feedback", url.Values{"verdict": {"seen"}}), 403)
}

// testPNG draws a deterministic picture (sums of colour waves) with enough
// detail for a good PDQ quality; rotate turns it by 90°.
func testPNG(t *testing.T, seed uint64, rotate bool) []byte {
	t.Helper()
	const n = 256
	r := rand.New(rand.NewPCG(seed, 7))
	type wave struct{ fx, fy, ph, a float64 }
	var ws [3][6]wave
	for c := range ws {
		for i := range ws[c] {
			ws[c][i] = wave{r.Float64()*6 + 0.5, r.Float64()*6 + 0.5, r.Float64() * 2 * math.Pi, r.Float64()}
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var v [3]float64
			for c := range ws {
				for _, w := range ws[c] {
					v[c] += w.a * math.Sin(2*math.Pi*(w.fx*float64(x)+w.fy*float64(y))/n+w.ph)
				}
			}
			px, py := x, y
			if rotate {
				px, py = n-1-y, x
			}
			img.Set(px, py, color.RGBA{level(v[0]), level(v[1]), level(v[2]), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// level maps a wave sum to a colour level; the levels wrap around, which
// adds sharp edges (detail for PDQ).
func level(v float64) uint8 { return uint8(int(128+40*v) & 0xff) }

// upload posts the check form with a file, the CSRF token first as a
// browser sends it.
func (c *client) upload(path, name string, data []byte, fields map[string]string) *http.Response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", c.csrf())
	fw, _ := mw.CreateFormFile("image", name)
	fw.Write(data)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.h.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func TestCheckImage(t *testing.T) {
	h, _ := bankHarness(t, Config{MaxImageBytes: 256 << 10, MaxPixels: 1_000_000})
	m := seedMembers(h)
	img := testPNG(t, 1, false)
	hashed, err := filehash.HashBytes(img, filehash.Options{})
	if err != nil || hashed.Quality < ksp.MinPDQQuality {
		t.Fatalf("test image: quality %d, %v", hashed.Quality, err)
	}

	// Nothing shared yet: no match.
	b := h.client()
	b.signIn(m.b, 0)
	b.want(b.get("/check"), 200, `enctype="multipart/form-data"`, `accept="image/*"`, "nothing you upload is stored", `aria-current="page">Check an image`)
	b.want(b.upload("/check", "suspect.png", img, nil), 200, "No match for suspect.png", "Your image was not stored", hashed.PDQ.String(), hashed.MD5, hashed.SHA256)

	// An analyst shares the image's PDQ through the form; the matcher is
	// synced at once.
	a := h.client()
	a.signIn(m.a, 0)
	a.get("/signals/new")
	a.want(a.post("/signals", shareForm(hashed.PDQ.String())), 200, "Signal shared with all members (TLP:GREEN).")
	id := strings.TrimPrefix(a.url.Path, "/signals/")
	count := h.signalCount()

	b.get("/check")
	b.want(b.upload("/check", "suspect.png", img, nil), 200, "1 match for suspect.png", `href="/signals/`+id+`"`, "0 (identical)", "Propaganda, Recruitment",
		"TLP:GREEN", "Your image was not stored")
	// A rotated copy matches only with dihedral search.
	rot := testPNG(t, 1, true)
	b.want(b.upload("/check", "turned.png", rot, nil), 200, "No match for turned.png")
	b.want(b.upload("/check", "turned.png", rot, map[string]string{"dihedral": "yes"}), 200, "1 match for turned.png", "Rotated and mirrored copies were searched too")
	// Another picture does not match.
	b.want(b.upload("/check", "other.png", testPNG(t, 99, false), nil), 200, "No match")
	// Nothing stored by checking.
	if n := h.signalCount(); n != count {
		t.Fatalf("checking changed the signal count: %d → %d", count, n)
	}

	// Clear errors.
	b.want(b.upload("/check", "report.pdf", []byte("%PDF-1.4 not an image"), nil), 400, "There is a problem", "not an image KSP can read", `href="#f-image"`)
	b.want(b.upload("/check", "broken.png", img[:len(img)/2], nil), 400, "damaged")
	b.want(b.upload("/check", "", nil, nil), 400, "Choose an image to check")
	big := image.NewGray(image.Rect(0, 0, 2000, 1000))
	var buf bytes.Buffer
	png.Encode(&buf, big)
	b.want(b.upload("/check", "huge.png", buf.Bytes(), nil), 413, "more than 1 megapixels")
	b.want(b.upload("/check", "large.bin", bytes.Repeat([]byte{0xff}, 300<<10), nil), 413, "larger than 256 KiB")
	b.get("/check")
	b.want(b.post("/check", url.Values{"image": {"not a file"}}), 400, "Paste at least one hash or URL")
	// The session still works after a refused upload.
	b.want(b.get("/check"), 200, "Check an image")

	// Anonymous uploads are not read.
	anon := h.client()
	anon.get("/login")
	anon.want(anon.upload("/check", "suspect.png", img, nil), 403, "This form has expired")

	// Governments do not match.
	g := h.client()
	g.signIn(m.gov, 0)
	g.want(g.get("/check"), 403, "not available to your organisation")
	g.want(g.upload("/check", "suspect.png", img, nil), 403, "not available to your organisation")
	if strings.Contains(g.body, "match for") {
		t.Fatal("government got a match result")
	}

	// Another member's negative-bank entry applies to that member's
	// matches only; proposed for everyone, it applies once staff approve.
	a.get("/signals/negative")
	a.want(a.post("/signals/negative", url.Values{"type": {"pdq"}, "value": {hashed.PDQ.String()}, "reason": {"Stock photo"}, "scope": {"programme"}}), 200,
		"Added to the negative bank", "Staff will review the proposal")
	b.get("/check")
	b.want(b.upload("/check", "suspect.png", img, nil), 200, "1 match")
	if strings.Contains(b.body, "In the negative bank") {
		t.Fatal("another member's pending entry applied to this member's matches")
	}
	st := h.client()
	st.signIn(m.staff, 0)
	st.want(st.get("/signals/negative?pending=true"), 200, "Stock photo", "awaiting approval")
	entry := regexp.MustCompile(`/signals/negative/([0-9a-f-]{36})/approve`).FindStringSubmatch(st.body)
	if entry == nil {
		t.Fatal("no approve button for staff")
	}
	st.want(st.post("/signals/negative/"+entry[1]+"/approve", nil), 200, "Approved")
	b.get("/check")
	b.want(b.upload("/check", "suspect.png", img, nil), 200, "1 match", "In the negative bank: this value must never count as a match")
	// Removing it makes matches count again.
	a.get("/signals/negative")
	a.want(a.post("/signals/negative/"+entry[1]+"/remove", nil), 200, "Removed from the negative bank")
	b.get("/check")
	b.want(b.upload("/check", "suspect.png", img, nil), 200, "1 match")
	if strings.Contains(b.body, "In the negative bank") {
		t.Fatal("a removed entry still applies")
	}
}

func TestNegativeBank(t *testing.T) {
	h, _ := bankHarness(t, Config{})
	m := seedMembers(h)
	c := h.client()
	c.signIn(m.a, 0)
	c.want(c.get("/signals/negative"), 200, "Negative bank", "No entries here.")
	c.want(c.post("/signals/negative", url.Values{"type": {"md5"}, "value": {"xyz"}}), 400, "There is a problem", `href="#f-value"`, `href="#f-reason"`, `value="xyz"`)
	c.want(c.post("/signals/negative", url.Values{"type": {"md5"}, "value": {strings.Repeat("EF", 16)}, "reason": {"Logo of a news agency"}}), 200,
		"Added to the negative bank", strings.Repeat("ef", 16), "Logo of a news agency")
	c.want(c.post("/signals/negative", url.Values{"type": {"md5"}, "value": {strings.Repeat("ef", 16)}, "reason": {"again"}}), 400, "already in your organisation")
	sig := h.submit(m.b, ksp.SubmissionInput{Type: "md5", Value: strings.Repeat("ef", 16), ContentType: "photo", Labels: []string{"propaganda"}, Basis: "branded_publication"})
	c.want(c.get("/signals/"+sig.ID), 200, "Not actionable", "In the negative bank")
	v := h.client()
	v.signIn(m.aViewer, 0)
	v.want(v.get("/signals/negative"), 403)
	if strings.Contains(v.body, "Logo of a news agency") {
		t.Fatal("viewer sees the negative bank")
	}
}
