package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

// The library's editor: one form for a new resource and for an edit, with
// a Preview button that renders the posted Markdown on the server without
// saving, and Save.

// EditorData is the editor's content.
type EditorData struct {
	// Resource is the resource being edited, nil for a new one.
	Resource *ksp.Resource
	Action   string
	Choices  LibraryChoices
	// Preview is the posted body rendered, when Preview was pressed.
	Preview   template.HTML
	Previewed bool
}

// LibraryChoices are the vocabularies the editor offers.
type LibraryChoices struct {
	Kinds, Distributions, TLPs, Audience []Choice
}

var libraryDistributionWords = map[ksp.Distribution]string{
	ksp.DistPublic:   "Anyone, without an account: the resource is in the public library. Only TLP:CLEAR resources can be public.",
	ksp.DistMembers:  "Every member organisation can read it",
	ksp.DistAudience: "Only the organisations you choose below (and yours) can read it",
	ksp.DistOwner:    "Only your organisation can read it",
}

var kindWords = map[ksp.ResourceKind]string{
	ksp.ResourceGuide:     "How to do something, step by step",
	ksp.ResourceTemplate:  "Text to adapt and reuse, such as model terms of service",
	ksp.ResourcePolicy:    "A policy or position",
	ksp.ResourceLaw:       "An overview of a law or regulation",
	ksp.ResourceCaseStudy: "What happened somewhere, and what was learnt",
	ksp.ResourceResearch:  "Research findings",
	ksp.ResourceTraining:  "Training material",
}

// editorLabels name the editor's fields in error messages.
var editorLabels = map[string]string{
	"kind": "Kind", "title": "Title", "summary": "Summary", "body": "Text", "tags": "Tags", "jurisdictions": "Jurisdictions",
	"language": "Language", "distribution": "Who can read it", "audience": "Organisations", "tlp": "TLP",
}

// editorOrder is the editor's fields top to bottom, for the error summary.
var editorOrder = []string{"title", "kind", "summary", "body", "tags", "jurisdictions", "language", "distribution", "audience", "tlp"}

func (s *Server) libraryChoices(r *http.Request) (LibraryChoices, error) {
	a := ksp.ActorFrom(r.Context())
	c := LibraryChoices{
		Kinds: choicesOf(ksp.ResourceKinds, kindWords, humanOf[ksp.ResourceKind]),
		Distributions: choicesOf([]ksp.Distribution{ksp.DistPublic, ksp.DistMembers, ksp.DistAudience, ksp.DistOwner}, libraryDistributionWords, func(d ksp.Distribution) string {
			return map[ksp.Distribution]string{ksp.DistPublic: "Public", ksp.DistMembers: "All members", ksp.DistAudience: "Organisations I choose", ksp.DistOwner: "My organisation only"}[d]
		}),
		TLPs: choicesOf(ksp.TLPs, tlpWords, func(t ksp.TLP) string { return "TLP:" + string(t) }),
	}
	var err error
	if c.Audience, err = s.audienceChoices(r, a.OrgID); err != nil {
		return c, err
	}
	return c, nil
}

// editor renders the form; res is nil for a new resource.
func (s *Server) editor(w http.ResponseWriter, r *http.Request, status int, p *Page, res *ksp.Resource) error {
	c, err := s.libraryChoices(r)
	if err != nil {
		return err
	}
	d := EditorData{Resource: res, Action: "/library/new", Choices: c}
	p.Title = "Add to the library"
	if res != nil {
		d.Action = "/library/" + res.ID + "/edit"
		p.Title = "Edit " + res.Title
	}
	if p.Form.Get("action") == "preview" {
		d.Previewed = true
		d.Preview = renderBody(p.Form.Get("body"), 2)
	}
	p.Data = d
	return s.render(w, r, status, "resource_edit.html", p)
}

// refuseWrite answers a viewer who may not write to the library.
func (s *Server) refuseWrite(w http.ResponseWriter, r *http.Request) error {
	s.errorPage(w, r, http.StatusForbidden, "You cannot edit this", "Analysts of the organisation that owns a resource, and the programme's staff, write in the library. Ask an admin of your organisation.")
	return nil
}

func (s *Server) newResourceForm(w http.ResponseWriter, r *http.Request) error {
	if !mayWriteLibrary(ksp.ActorFrom(r.Context())) {
		return s.refuseWrite(w, r)
	}
	form := url.Values{"distribution": {string(ksp.DefaultDistribution)}, "tlp": {string(ksp.DefaultTLP)}, "language": {"en"}, "kind": {string(ksp.ResourceGuide)}}
	return s.editor(w, r, http.StatusOK, &Page{Form: form}, nil)
}

// editableResource reads the resource of the path for its editor.
func (s *Server) editableResource(w http.ResponseWriter, r *http.Request) (*ksp.Resource, bool, error) {
	res, err := s.store.FindResourceByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, false, err
	}
	if !mayEdit(ksp.ActorFrom(r.Context()), res) {
		return nil, false, s.refuseWrite(w, r)
	}
	return res, true, nil
}

func (s *Server) editResourceForm(w http.ResponseWriter, r *http.Request) error {
	res, ok, err := s.editableResource(w, r)
	if !ok {
		return err
	}
	form := url.Values{
		"title": {res.Title}, "kind": {string(res.Kind)}, "summary": {res.Summary}, "body": {res.Body},
		"tags": {strings.Join(res.Tags, ", ")}, "jurisdictions": {strings.Join(res.Jurisdictions, ", ")}, "language": {res.Language},
		"distribution": {string(res.Distribution)}, "tlp": {string(res.TLP)}, "audience": res.Audience,
	}
	return s.editor(w, r, http.StatusOK, &Page{Form: form}, res)
}

// splitList reads a comma-separated field.
func splitList(v string) []string {
	out := []string{}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// resourceFromForm reads the editor's fields.
func resourceFromForm(form url.Values) *ksp.Resource {
	res := &ksp.Resource{
		Kind: ksp.ResourceKind(form.Get("kind")), Title: form.Get("title"), Summary: form.Get("summary"),
		Body: strings.ReplaceAll(form.Get("body"), "\r\n", "\n"), Tags: splitList(form.Get("tags")), Jurisdictions: splitList(form.Get("jurisdictions")),
		Language: form.Get("language"), Sharing: ksp.Sharing{Distribution: ksp.Distribution(form.Get("distribution")), TLP: ksp.TLP(form.Get("tlp"))},
	}
	if res.Distribution == ksp.DistAudience {
		res.Audience = form["audience"]
	}
	return res
}

// editorErrors words the store's validation error for the editor, in the
// form's order.
func editorErrors(err error) []FormError {
	var ke *ksp.Error
	if !errors.As(err, &ke) {
		return nil
	}
	f := slices.Clone(ke.Fields)
	rank := func(x string) int {
		if i := slices.Index(editorOrder, x); i >= 0 {
			return i
		}
		return len(editorOrder)
	}
	slices.SortStableFunc(f, func(a, b ksp.FieldError) int { return rank(a.Field) - rank(b.Field) })
	return formErrors(&ksp.Error{Code: ke.Code, Message: ke.Message, Fields: f}, editorLabels, "title")
}

// libraryPostForm reads a posted editor form. The CSRF check has read it
// already, within net/http's 10 MB cap on form bodies; the store refuses a
// text over ksp.MaxResourceBody.
func libraryPostForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "the form could not be read: it may be too long")
	}
	return nil
}

func (s *Server) createResource(w http.ResponseWriter, r *http.Request) error {
	if !mayWriteLibrary(ksp.ActorFrom(r.Context())) {
		return s.refuseWrite(w, r)
	}
	if err := libraryPostForm(r); err != nil {
		return err
	}
	p := &Page{Form: r.PostForm}
	if r.PostForm.Get("action") == "preview" {
		return s.editor(w, r, http.StatusOK, p, nil)
	}
	res := resourceFromForm(r.PostForm)
	err := s.store.CreateResource(r.Context(), res)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		p.Errors = editorErrors(err)
		return s.editor(w, r, http.StatusBadRequest, p, nil)
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", fmt.Sprintf("Added to the library: %s, readable by %s (TLP:%s).", res.Title, readers(res.Distribution, len(res.Audience)), res.TLP))
	return redirect(w, r, "/library/"+res.ID)
}

// readers says in words who can read a resource.
func readers(d ksp.Distribution, audience int) string {
	if d == ksp.DistPublic {
		return "anyone"
	}
	return sharedWith(d, audience)
}

func (s *Server) editResource(w http.ResponseWriter, r *http.Request) error {
	res, ok, err := s.editableResource(w, r)
	if !ok {
		return err
	}
	if err := libraryPostForm(r); err != nil {
		return err
	}
	p := &Page{Form: r.PostForm}
	if r.PostForm.Get("action") == "preview" {
		return s.editor(w, r, http.StatusOK, p, res)
	}
	in := resourceFromForm(r.PostForm)
	aud := in.Audience
	if aud == nil {
		aud = []string{}
	}
	upd := ksp.ResourceUpdate{Kind: &in.Kind, Title: &in.Title, Summary: &in.Summary, Body: &in.Body, Tags: &in.Tags, Jurisdictions: &in.Jurisdictions,
		Language: &in.Language, Distribution: &in.Distribution, Audience: &aud, TLP: &in.TLP}
	out, err := s.store.UpdateResource(r.Context(), res.ID, upd)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		p.Errors = editorErrors(err)
		return s.editor(w, r, http.StatusBadRequest, p, res)
	}
	if err != nil {
		return err
	}
	msg := "Nothing changed: the resource is as it was."
	if out.Revision != res.Revision {
		msg = fmt.Sprintf("Saved as revision %d, readable by %s (TLP:%s).", out.Revision, readers(out.Distribution, len(out.Audience)), out.TLP)
	}
	s.flash(w, r, "success", msg)
	return redirect(w, r, "/library/"+res.ID)
}

func (s *Server) deleteResource(w http.ResponseWriter, r *http.Request) error {
	res, ok, err := s.editableResource(w, r)
	if !ok {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		p := &Page{Form: url.Values{}}
		for k, v := range map[string]string{"title": res.Title, "kind": string(res.Kind), "summary": res.Summary, "body": res.Body,
			"tags": strings.Join(res.Tags, ", "), "jurisdictions": strings.Join(res.Jurisdictions, ", "), "language": res.Language,
			"distribution": string(res.Distribution), "tlp": string(res.TLP)} {
			p.Form.Set(k, v)
		}
		p.Form["audience"] = res.Audience
		p.Errors = []FormError{{Field: "confirm", Message: "Tick the box to confirm that the resource and its history are deleted"}}
		return s.editor(w, r, http.StatusBadRequest, p, res)
	}
	if err := s.store.DeleteResource(r.Context(), res.ID); err != nil {
		return err
	}
	s.flash(w, r, "success", "Deleted from the library, with its history: "+res.Title+".")
	return redirect(w, r, "/library")
}
