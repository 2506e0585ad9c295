package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kspplatform/ksp"
)

// The designated entities' pages: search (/entities), an entity's page
// with its lists and the signals linked to it that the viewer may see,
// and staff's edit form on it. Members and staff only: the database is the
// programme's working copy, with its own notes.

func (s *Server) registerEntities() {
	s.Handle("GET /entities", SignedIn, s.entities)
	s.Handle("GET /entities/{id}", SignedIn, s.entity)
	s.Handle("POST /entities/{id}", StaffOnly, s.editEntity)
	s.Handle("POST /staff/reviews/{id}/clear", StaffOnly, s.clearReview)
	s.AddNav(NavItem{Label: "Entities", Path: "/entities", Show: SignedIn})
}

func init() {
	funcs["ideologyWords"] = ideologyWords
	funcs["regimes"] = entityRegimes
	funcs["references"] = entityReferences
	funcs["delisted"] = entityDelisted
}

// ideologyWords says an ideology in words.
func ideologyWords(i ksp.Ideology) string {
	switch i {
	case "":
		return "Not classified"
	case ksp.IdeologyFarRight:
		return "Far right"
	case ksp.IdeologyEthnoNationalistSeparatist:
		return "Ethno-nationalist or separatist"
	case ksp.IdeologyLeftWing:
		return "Left wing"
	}
	return human(string(i))
}

func entityRegimes(e *ksp.Entity) string {
	var out []string
	for _, l := range e.Lists {
		if l.Regime != "" && !slices.Contains(out, l.Regime) {
			out = append(out, l.Regime)
		}
	}
	return strings.Join(out, ", ")
}

func entityReferences(e *ksp.Entity) string {
	var out []string
	for _, l := range e.Lists {
		if l.ReferenceNumber != "" {
			out = append(out, l.ReferenceNumber)
		}
	}
	return strings.Join(out, ", ")
}

// entityDelisted reports whether every listing of an entity has ended (an
// entity without listings, created by hand, counts as listed).
func entityDelisted(e *ksp.Entity) bool {
	if len(e.Lists) == 0 {
		return false
	}
	for _, l := range e.Lists {
		if l.DelistedOn == "" {
			return false
		}
	}
	return true
}

// EntitiesData is the entity search's content.
type EntitiesData struct {
	Query    string
	Entities []*ksp.Entity
	Searched bool
	Filters  []Field
	Pager    Pager
}

func (s *Server) entities(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	query := strings.TrimSpace(q.Get("q"))
	if len(query) > 200 {
		query = query[:200]
	}
	regimes, err := s.store.EntityRegimes(r.Context())
	if err != nil {
		return err
	}
	form := url.Values{}
	f := ksp.EntityFilter{Page: ksp.Page{Limit: 25, Cursor: q.Get("cursor")}}
	if query != "" {
		f.Q = &query
		form.Set("q", query)
	}
	if rg := q.Get("regime"); rg != "" && slices.Contains(regimes, rg) {
		f.Regime = &rg
		form.Set("regime", rg)
	}
	list, next, err := s.store.FindEntities(r.Context(), f)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		// A cursor that is not one of ours: start again.
		f.Page.Cursor = ""
		list, next, err = s.store.FindEntities(r.Context(), f)
	}
	if err != nil {
		return err
	}
	p := &Page{Title: "Designated entities", Form: form}
	opts := []string{"type=select", "option=|Every regime"}
	for _, rg := range regimes {
		opts = append(opts, "option="+rg+"|"+rg)
	}
	p.Data = EntitiesData{Query: query, Entities: list, Searched: len(form) > 0, Pager: pagerFor(r, next),
		Filters: []Field{
			newField(p, "q", "Name, alias or reference number", "type=search", "autocomplete=off"),
			newField(p, "regime", "Regime", opts...),
		}}
	return s.render(w, r, http.StatusOK, "entities.html", p)
}

// EntityData is an entity page's content.
type EntityData struct {
	Entity  *ksp.Entity
	Signals []*ksp.Signal
	Pager   Pager
	Staff   bool
	// Edit are the staff edit form's fields.
	Edit []Field
	// Reviews are the entity's open review flags (staff only).
	Reviews []*ksp.SignalReview
}

func (s *Server) entityPage(w http.ResponseWriter, r *http.Request, status int, p *Page) error {
	e, err := s.store.FindEntityByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	// The signals list is per viewer: only what the viewer may see is
	// listed, and nothing else is counted.
	sigs, next, err := s.store.FindSignals(r.Context(), ksp.SignalFilter{EntityID: &e.ID, Page: ksp.Page{Limit: 25, Cursor: r.URL.Query().Get("cursor")}})
	if ksp.ErrorCode(err) == ksp.EINVALID {
		sigs, next, err = s.store.FindSignals(r.Context(), ksp.SignalFilter{EntityID: &e.ID, Page: ksp.Page{Limit: 25}})
	}
	if err != nil {
		return err
	}
	a := ksp.ActorFrom(r.Context())
	d := EntityData{Entity: e, Signals: sigs, Pager: pagerFor(r, next), Staff: a != nil && a.Staff}
	if d.Staff {
		if d.Reviews, _, err = s.store.FindSignalReviews(r.Context(), ksp.SignalReviewFilter{EntityID: &e.ID, Page: ksp.Page{Limit: reviewsShown}}); err != nil {
			return err
		}
		if p.Form == nil {
			p.Form = url.Values{"name": {e.Name}, "ideology": {string(e.Ideology)}, "notes": {e.Notes}}
		}
		opts := []string{"type=select", "option=|" + ideologyWords("")}
		for _, i := range ksp.Ideologies {
			opts = append(opts, "option="+string(i)+"|"+ideologyWords(i))
		}
		d.Edit = []Field{
			newField(p, "name", "Name", "required", "autocomplete=off"),
			newField(p, "ideology", "Ideology", opts...),
			newField(p, "notes", "Notes", "type=textarea", "rows=6", "hint=The programme's own notes. Importing a list never changes them."),
		}
	}
	p.Title = e.Name
	p.Data = d
	return s.render(w, r, status, "entity.html", p)
}

func (s *Server) entity(w http.ResponseWriter, r *http.Request) error {
	return s.entityPage(w, r, http.StatusOK, &Page{})
}

// entityLabels name the edit form's fields in messages.
var entityLabels = map[string]string{"name": "Name", "ideology": "Ideology", "notes": "Notes"}

// maxEntityNotes bounds the programme's notes on an entity.
const maxEntityNotes = 20000

func (s *Server) editEntity(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ksp.Errorf(ksp.EINVALID, "the form could not be read")
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	ideology := ksp.Ideology(r.PostForm.Get("ideology"))
	notes := strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get("notes"), "\r\n", "\n"))
	p := &Page{Form: r.PostForm}
	if len(notes) > maxEntityNotes {
		p.Errors = []FormError{{Field: "notes", Message: "Notes: at most 20,000 characters"}}
		return s.entityPage(w, r, http.StatusBadRequest, p)
	}
	e, err := s.store.UpdateEntity(r.Context(), r.PathValue("id"), ksp.EntityUpdate{Name: &name, Ideology: &ideology, Notes: &notes})
	if ke := (*ksp.Error)(nil); errors.As(err, &ke) && ke.Code == ksp.EINVALID {
		p.Errors = formErrors(err, entityLabels, "name")
		return s.entityPage(w, r, http.StatusBadRequest, p)
	}
	if err != nil {
		return err
	}
	s.flash(w, r, "success", "Saved.")
	return redirect(w, r, "/entities/"+e.ID)
}

// EntityCandidate is an entity the share form offers when what was typed
// names several (or is a name to confirm).
type EntityCandidate struct {
	ID, Name, OriginalName, References, Regimes string
	Delisted, Checked                           bool
}

// Reasons lookupShareEntity gives, worded in shareMessages.
const (
	entityChoose  = "choose"
	entityNoMatch = "no_match"
)

// lookupShareEntity reads the share form's entity field, which takes a
// name, a list reference number or a KSP id, without JavaScript: an id is
// left to the store to check; a reference number that names an entity is
// taken; anything else is searched as a name, and the form comes back with
// the entities found as radio buttons (entity_pick), the typed text kept
// in entity_query, so that the next submission takes the one chosen if
// the text was not changed meanwhile. It returns the candidates and a
// reason when the person must choose or retype.
func (s *Server) lookupShareEntity(r *http.Request, form url.Values, in *ksp.SubmissionInput) ([]EntityCandidate, string, error) {
	text := strings.TrimSpace(form.Get("entity_id"))
	if text == "" || ksp.ValidID(text) {
		return nil, "", nil
	}
	if pick := form.Get("entity_pick"); pick != "" && ksp.ValidID(pick) && form.Get("entity_query") == text {
		in.EntityID = pick
		return nil, "", nil
	}
	if ksp.ValidEntityRef(text) {
		e, err := s.store.FindEntityByID(r.Context(), text)
		switch ksp.ErrorCode(err) {
		case "":
			in.EntityID = e.ID
			return nil, "", nil
		case ksp.ENOTFOUND:
		default:
			return nil, "", err
		}
	}
	if len(text) > 200 {
		return nil, entityNoMatch, nil
	}
	list, _, err := s.store.FindEntities(r.Context(), ksp.EntityFilter{Q: &text, Page: ksp.Page{Limit: 10}})
	if err != nil {
		return nil, "", err
	}
	if len(list) == 0 {
		return nil, entityNoMatch, nil
	}
	out := make([]EntityCandidate, 0, len(list))
	for i, e := range list {
		out = append(out, EntityCandidate{ID: e.ID, Name: e.Name, OriginalName: e.OriginalName, References: entityReferences(e),
			Regimes: entityRegimes(e), Delisted: entityDelisted(e), Checked: i == 0 && len(list) == 1})
	}
	form.Set("entity_query", text)
	return out, entityChoose, nil
}
