package web

import (
	"html/template"
	"net/http"

	"github.com/kspplatform/ksp"
)

// registerCore registers the pages of the web foundation.
func (s *Server) registerCore() {
	s.Handle("GET /{$}", Public, s.home)
	s.Handle("GET /search", Public, s.search)
	s.Handle("GET /dashboard", SignedIn, s.dashboard)
	s.AddNav(NavItem{Label: "Dashboard", Path: "/dashboard", Show: SignedIn})

	s.registerAuth()
	s.registerAccount()
	s.registerApply()
	s.registerAdmin()
	s.registerStaff()
	s.registerSignals()
	s.registerEntities()
	s.registerAudit()
	s.registerLibrary()
	s.registerAlerts()
	s.registerIncidents()
	s.registerWebhooks()
	s.registerCases()
	s.registerTransparency()
	s.registerQuestions()
	s.registerMentorship()
	s.registerCalendar()
	s.registerAssessment()

	s.Handle("/", Public, func(w http.ResponseWriter, r *http.Request) error {
		s.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no page at this address. Check it, or start from the home page.")
		return nil
	})
}

// HomeData is the home page's content.
type HomeData struct {
	Library, Transparency bool
	TLPs                  []ksp.TLP
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "home.html", &Page{Title: "Knowledge-sharing against terrorist use of the internet",
		Data: HomeData{Library: s.HasPage("/library"), Transparency: s.HasPage("/transparency"), TLPs: ksp.TLPs}})
}

// DashboardData is the dashboard's content.
type DashboardData struct {
	Pending      int
	PendingMore  bool
	Panels       []PanelView
	RecoveryLeft int
	SecondFactor bool
	MustHave2FA  bool
	// Todos is the to-dos panel (todos.go, dashboard_todos.html).
	Todos template.HTML
}

// PanelView is a dashboard panel ready to render.
type PanelView struct {
	Title string
	HTML  template.HTML
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	d := DashboardData{MustHave2FA: ksp.SecondFactorRequired(a.Staff, a.Role)}
	if a.Staff {
		st := ksp.AppPending
		apps, next, err := s.store.FindApplications(r.Context(), ksp.ApplicationFilter{Status: &st, Page: ksp.Page{Limit: 50}})
		if err != nil {
			return err
		}
		d.Pending, d.PendingMore = len(apps), next != ""
	}
	u, err := s.store.FindUserByID(r.Context(), a.UserID)
	if err != nil {
		return err
	}
	state(r).user = u
	d.SecondFactor = u.TOTP
	if u.TOTP {
		if d.RecoveryLeft, err = s.store.RecoveryCodesLeft(r.Context(), u.ID); err != nil {
			return err
		}
	}
	if d.Todos, err = s.todos(r); err != nil {
		return err
	}
	for _, p := range s.panels {
		h, err := p.Render(r)
		if err != nil {
			return err
		}
		if h != "" {
			d.Panels = append(d.Panels, PanelView{Title: p.Title, HTML: h})
		}
	}
	return s.render(w, r, http.StatusOK, "dashboard.html", &Page{Title: "Dashboard", Data: d})
}
