package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/kspplatform/ksp"
)

// searchPageSize is how many results a page of the search shows.
const searchPageSize = 20

// SearchData is the search page's content.
type SearchData struct {
	Query string
	// Searched is false until there is a query to run.
	Searched bool
	Results  []SearchItem
	Pager    Pager
	Filters  []Field
	// SignInForEntities is set when an anonymous visitor asked for
	// entities, which are for members.
	SignInForEntities bool
}

// SearchItem is one result as the page shows it.
type SearchItem struct {
	Type      string
	TypeLabel string
	URL       string
	Title     string
	Kind      string
	Snippet   template.HTML
}

// searchTypeLabels name the types for people.
var searchTypeLabels = map[string]string{ksp.SearchResource: "Library", ksp.SearchEntity: "Designated entity", ksp.SearchQuestion: "Question"}

// snippetMarkup is the only markup a store's snippet may contain.
var snippetMarkup = strings.NewReplacer("<mark>", "", "</mark>", "")

// trustedSnippet is the one place the web trusts text as HTML from the
// search: the stores build a snippet as HTML-escaped text with only <mark>
// and </mark> (sqlstore.markSnippet), so it is safe by construction. It is
// still checked: anything else that looks like markup is escaped whole,
// and shows as text.
func trustedSnippet(s string) template.HTML {
	if strings.ContainsAny(snippetMarkup.Replace(s), `<>"`) {
		return template.HTML(template.HTMLEscapeString(s))
	}
	return template.HTML(s)
}

// search runs the header's search box. Anonymous visitors search the
// public library; members also search what their organisation may see
// and the designated entities.
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	query := strings.TrimSpace(q.Get("q"))
	typ := q.Get("type")
	a := ksp.ActorFrom(r.Context())
	signedIn := a != nil && a.OrgID != ""
	form := url.Values{"q": {query}}
	types := []string{"option=|Everything", "option=" + ksp.SearchResource + "|Library", "option=" + ksp.SearchQuestion + "|Questions"}
	if signedIn {
		types = append(types, "option="+ksp.SearchEntity+"|Designated entities")
	}
	if typ == ksp.SearchResource || typ == ksp.SearchQuestion || (typ == ksp.SearchEntity && signedIn) {
		form.Set("type", typ)
	}
	p := &Page{Title: "Search", Search: query, Form: form}
	d := SearchData{Query: query}
	d.Filters = []Field{
		newField(p, "q", "Search for", "type=search"),
		newField(p, "type", "Look in", append([]string{"type=select"}, types...)...),
	}
	switch {
	case typ == ksp.SearchEntity && !signedIn:
		d.SignInForEntities = true
	case query != "":
		sq := ksp.SearchQuery{Q: query, Page: ksp.Page{Limit: searchPageSize, Cursor: q.Get("cursor")}}
		if t := form.Get("type"); t != "" {
			sq.Types = []string{t}
		}
		items, next, err := s.store.Search(r.Context(), sq)
		var ke *ksp.Error
		if errors.As(err, &ke) && ke.Code == ksp.EINVALID && len(ke.Fields) > 0 && ke.Fields[0].Field == "q" {
			p.Errors = []FormError{{Field: "q", Message: searchMessage(ke.Fields[0].Reason)}}
			d.Filters[0] = newField(p, "q", "Search for", "type=search")
			break
		}
		if err != nil {
			return err
		}
		d.Searched = true
		d.Pager = pagerFor(r, next)
		for _, it := range items {
			d.Results = append(d.Results, searchItem(it))
		}
	}
	p.Data = d
	return s.render(w, r, http.StatusOK, "search.html", p)
}

// searchMessage words the store's reasons for refusing q for people.
func searchMessage(reason string) string {
	switch {
	case strings.HasPrefix(reason, "type at least one word"):
		return "Type at least one word: letters or digits"
	case strings.HasPrefix(reason, "at most"):
		return "Search for fewer words: " + reason
	}
	return "Search for: " + reason
}

func searchItem(it *ksp.SearchResult) SearchItem {
	v := SearchItem{Type: it.Type, TypeLabel: searchTypeLabels[it.Type], Title: it.Title, Snippet: trustedSnippet(it.Snippet)}
	switch it.Type {
	case ksp.SearchResource:
		v.URL = "/library/" + url.PathEscape(it.ID)
		v.Kind = human(it.Kind)
	case ksp.SearchQuestion:
		v.URL = "/community/questions/" + url.PathEscape(it.ID)
	case ksp.SearchEntity:
		v.URL = "/entities/" + url.PathEscape(it.ID)
		v.Kind = map[string]string{string(ksp.EntityIndividual): "Individual", string(ksp.EntityGroup): "Group or organisation"}[it.Kind]
	}
	return v
}
