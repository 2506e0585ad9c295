package web

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/markdown"
)

// The library's pages: browsing with filters, a resource, its history and
// one revision with what changed (anyone for public resources, members for
// the rest, through the store's sharing rule), and the editor
// (library_edit.go).

func (s *Server) registerLibrary() {
	s.Handle("GET /library", Public, s.library)
	s.Handle("GET /library/new", SignedIn, s.newResourceForm)
	s.Handle("POST /library/new", SignedIn, s.createResource)
	s.Handle("GET /library/{id}", Public, s.resource)
	s.Handle("GET /library/{id}/edit", SignedIn, s.editResourceForm)
	s.Handle("POST /library/{id}/edit", SignedIn, s.editResource)
	s.Handle("POST /library/{id}/delete", SignedIn, s.deleteResource)
	s.Handle("GET /library/{id}/history", Public, s.resourceHistory)
	s.Handle("GET /library/{id}/revisions/{n}", Public, s.resourceRevision)
	s.AddNav(NavItem{Label: "Library", Path: "/library", Show: Public})
	s.AddPanel(Panel{Title: "New in the library", Render: s.newResourcesPanel})
}

// newResourcesPanel lists the library's latest changes the viewer may see.
func (s *Server) newResourcesPanel(r *http.Request) (template.HTML, error) {
	list, _, err := s.store.FindResources(r.Context(), ksp.ResourceFilter{Page: ksp.Page{Limit: 5}})
	if err != nil || len(list) == 0 {
		return "", err
	}
	return s.Fragment("library.html", "panel", list)
}

func init() {
	funcs["resourceKind"] = func(k ksp.ResourceKind) string { return human(string(k)) }
	funcs["kindPlural"] = kindPlural
	funcs["jurisdictionWords"] = jurisdictionWords
}

// kindPlural names a kind of resource in the plural, for the filter.
func kindPlural(k ksp.ResourceKind) string {
	switch k {
	case ksp.ResourcePolicy:
		return "Policies"
	case ksp.ResourceLaw:
		return "Laws"
	case ksp.ResourceCaseStudy:
		return "Case studies"
	case ksp.ResourceResearch, ksp.ResourceTraining:
		return human(string(k))
	}
	return human(string(k)) + "s"
}

// jurisdictionWords spells out the codes that are not countries; country
// codes are shown as they are (people in this field read them).
func jurisdictionWords(j string) string {
	switch j {
	case "INT":
		return "International"
	case "EU":
		return "European Union"
	}
	return j
}

// mayWriteLibrary reports whether the viewer may add to the library: an
// analyst (or staff) of an org in good standing. The store checks again.
func mayWriteLibrary(a *ksp.Actor) bool { return a.HasRole(ksp.RoleAnalyst) && !a.Suspended }

// mayEdit reports whether the viewer may change or delete res.
func mayEdit(a *ksp.Actor, res *ksp.Resource) bool {
	return mayWriteLibrary(a) && (a.Staff || a.OrgID == res.OwnerOrgID)
}

var headingTag = regexp.MustCompile(`<(/?)h([1-6])\b`)

// shiftHeadings renders a body's headings below the page's own: the first
// level used becomes base+1 and no level is skipped, so that a body written
// with "#" headings neither adds a second h1 to the page nor jumps levels.
// It works on markdown.Render's sanitised output, where headings are plain
// tags that never nest.
func shiftHeadings(h template.HTML, base int) template.HTML {
	last := base
	var open []int // the new level of each opening tag, for its closing tag
	out := headingTag.ReplaceAllStringFunc(string(h), func(tag string) string {
		m := headingTag.FindStringSubmatch(tag)
		if m[1] == "/" {
			level := last
			if len(open) > 0 {
				level, open = open[0], open[1:]
			}
			return "</h" + strconv.Itoa(level)
		}
		orig, _ := strconv.Atoi(m[2])
		level := min(orig+base, last+1, 6)
		level = max(level, base+1)
		last = level
		open = append(open, level)
		return "<h" + strconv.Itoa(level)
	})
	return template.HTML(out)
}

// renderBody renders a resource's Markdown for a page whose headings so
// far reach level base.
func renderBody(src string, base int) template.HTML {
	return shiftHeadings(markdown.Render(src), base)
}

// ---- Browsing ----

// LibraryData is the library page's content.
type LibraryData struct {
	Resources []*ksp.Resource
	Pager     Pager
	Filters   []Field
	Filtered  bool
	CanWrite  bool
}

func (s *Server) library(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := ksp.ResourceFilter{Page: ksp.Page{Limit: 25, Cursor: q.Get("cursor")}}
	kept := url.Values{}
	for name, dst := range map[string]**string{"tag": &f.Tag, "jurisdiction": &f.Jurisdiction} {
		if v := strings.TrimSpace(q.Get(name)); v != "" {
			kept.Set(name, v)
			*dst = &v
		}
	}
	if k := ksp.ResourceKind(q.Get("kind")); slices.Contains(ksp.ResourceKinds, k) {
		kept.Set("kind", string(k))
		f.Kind = &k
	}
	p := &Page{Title: "Library", Form: kept}
	d := LibraryData{Filtered: len(kept) > 0, CanWrite: mayWriteLibrary(ksp.ActorFrom(r.Context()))}
	list, next, err := s.store.FindResources(r.Context(), f)
	switch {
	case ksp.ErrorCode(err) == ksp.EINVALID:
		p.Errors = formErrors(err, map[string]string{"kind": "Kind", "tag": "Tag", "jurisdiction": "Jurisdiction", "cursor": "Page"}, "tag")
	case err != nil:
		return err
	default:
		d.Resources, d.Pager = list, pagerFor(r, next)
	}
	kinds := []string{"type=select", "option=|Any kind"}
	for _, k := range ksp.ResourceKinds {
		kinds = append(kinds, "option="+string(k)+"|"+kindPlural(k))
	}
	d.Filters = []Field{
		newField(p, "kind", "Kind", kinds...),
		newField(p, "tag", "Tag", "hint=One tag, such as policy", "autocomplete=off"),
		newField(p, "jurisdiction", "Jurisdiction", "hint=A country code such as GB, or EU, INT", "autocomplete=off"),
	}
	p.Data = d
	status := http.StatusOK
	if p.Errors != nil {
		status = http.StatusBadRequest
	}
	return s.render(w, r, status, "library.html", p)
}

// ---- A resource ----

// ResourceData is a resource page's content.
type ResourceData struct {
	Resource *ksp.Resource
	Body     template.HTML
	CanEdit  bool
	// Audience names the organisations a resource is shared with, for its
	// owner and staff.
	Audience []string
}

func (s *Server) resource(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	res, err := s.store.FindResourceByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := ResourceData{Resource: res, Body: renderBody(res.Body, 1), CanEdit: mayEdit(ksp.ActorFrom(ctx), res)}
	for _, id := range res.Audience {
		name := "an organisation that left"
		if o, err := s.store.FindOrgByID(ctx, id); err == nil {
			name = o.Name
		}
		d.Audience = append(d.Audience, name)
	}
	slices.Sort(d.Audience)
	return s.render(w, r, http.StatusOK, "resource.html", &Page{Title: res.Title, Data: d})
}

// ---- History ----

// HistoryData is a resource history's content.
type HistoryData struct {
	Resource  *ksp.Resource
	Revisions []*ksp.ResourceRevision
}

func (s *Server) resourceHistory(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	res, err := s.store.FindResourceByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	revs, err := s.store.FindResourceRevisions(ctx, res.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "resource_history.html", &Page{Title: "History of " + res.Title, Data: HistoryData{Resource: res, Revisions: revs}})
}

// FieldChange is one metadata field that differs between two revisions.
type FieldChange struct {
	Name, Old, New string
}

// RevisionData is a revision page's content: the revision, what changed
// from the one before (none for revision 1), and its body rendered.
type RevisionData struct {
	Resource *ksp.Resource
	Revision *ksp.ResourceRevision
	Previous *ksp.ResourceRevision
	Changes  []FieldChange
	Lines    []markdown.Line
	// BodyChanged is false when the body is the same as the previous
	// revision's.
	BodyChanged bool
	Body        template.HTML
}

func (s *Server) resourceRevision(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return ksp.NotFound("revision")
	}
	res, err := s.store.FindResourceByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	rev, err := s.store.FindResourceRevision(ctx, res.ID, n)
	if err != nil {
		return err
	}
	d := RevisionData{Resource: res, Revision: rev, Body: renderBody(rev.Body, 2)}
	prevBody := ""
	if n > 1 {
		prev, err := s.store.FindResourceRevision(ctx, res.ID, n-1)
		if err != nil && ksp.ErrorCode(err) != ksp.ENOTFOUND {
			return err
		}
		if prev != nil {
			d.Previous, prevBody = prev, prev.Body
			d.Changes = revisionChanges(prev, rev)
		}
	}
	d.BodyChanged = prevBody != rev.Body
	if d.BodyChanged {
		d.Lines = markdown.Diff(prevBody, rev.Body)
	}
	title := "Revision " + strconv.Itoa(n) + " of " + res.Title
	return s.render(w, r, http.StatusOK, "resource_revision.html", &Page{Title: title, Data: d})
}

// revisionChanges lists the metadata that differs between two revisions.
func revisionChanges(a, b *ksp.ResourceRevision) []FieldChange {
	var out []FieldChange
	add := func(name, old, new string) {
		if old != new {
			out = append(out, FieldChange{Name: name, Old: old, New: new})
		}
	}
	add("Title", a.Title, b.Title)
	add("Kind", human(string(a.Kind)), human(string(b.Kind)))
	add("Summary", a.Summary, b.Summary)
	add("Tags", strings.Join(a.Tags, ", "), strings.Join(b.Tags, ", "))
	add("Jurisdictions", strings.Join(a.Jurisdictions, ", "), strings.Join(b.Jurisdictions, ", "))
	add("Language", a.Language, b.Language)
	return out
}
