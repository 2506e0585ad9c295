// Package demo seeds a database with a small, realistic programme so that
// `ksp serve --demo` shows every feature at once: the staff org with two
// staff members, six member orgs of every kind, their users and fresh API
// keys printed for the person trying KSP out.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/internal/totp"
)

// Org is one demo organisation.
type Org struct {
	Name string
	Kind ksp.OrgKind
	Size string
	// Users are created as "<local>@<slug>.example".
	Users []User
}

// User is one demo account.
type User struct {
	Local string
	Name  string
	Role  ksp.Role
}

// Orgs are the six member organisations, in a fixed order.
var Orgs = []Org{
	{Name: "Vidstream", Kind: ksp.KindPlatform, Size: ksp.SizeLarge, Users: []User{{"admin", "Priya Raman", ksp.RoleAdmin}, {"analyst", "Tomás Ortega", ksp.RoleAnalyst}}},
	{Name: "Pixelboard", Kind: ksp.KindPlatform, Size: ksp.SizeStartup, Users: []User{{"admin", "Lea Novak", ksp.RoleAdmin}}},
	{Name: "Threadly", Kind: ksp.KindPlatform, Size: ksp.SizeSmall, Users: []User{{"admin", "Sam Okafor", ksp.RoleAdmin}}},
	{Name: "Ministry of the Interior (Demo)", Kind: ksp.KindGovernment, Users: []User{{"admin", "Claire Dubois", ksp.RoleAdmin}}},
	{Name: "Institute for Online Extremism Research", Kind: ksp.KindAcademia, Users: []User{{"admin", "Yusuf Demir", ksp.RoleAdmin}, {"viewer", "Mei Chen", ksp.RoleViewer}}},
	{Name: "Digital Rights Watch", Kind: ksp.KindCivilSociety, Users: []User{{"admin", "Ana Lima", ksp.RoleAdmin}}},
}

// Staff are the two staff members.
var Staff = []User{{"amina", "Amina Diallo", ksp.RoleAdmin}, {"jonas", "Jonas Berg", ksp.RoleAdmin}}

const staffDomain = "ksp-secretariat.example"

// Seeder seeds one store. Extend adds a later feature's demo content; each
// runs after the orgs and users exist.
type Seeder struct {
	Store ksp.Store
	// SharedDir is ../shared when present ("" otherwise); content from it is
	// loaded, never embedded.
	SharedDir string
	Log       *slog.Logger
	Extend    []func(ctx context.Context, w *World) error
}

// World is what the seeder made, for extensions and for the printout.
type World struct {
	Orgs  map[string]*ksp.Org  // by slug; "staff" is the staff org
	Users map[string]*ksp.User // by email
	// Actor returns a session-like actor for a demo user's email.
	Actor     func(email string) *ksp.Actor
	SharedDir string
	Store     ksp.Store
}

type login struct {
	email, password, org string
	role                 ksp.Role
	totp                 string
}

// Run seeds what is missing, rotates the demo keys and passwords, and
// prints the keys and logins to out (API.md "Demo").
func (s *Seeder) Run(ctx context.Context, out io.Writer) (*World, error) {
	sys := ksp.NewContext(ctx, ksp.SystemActor("system:demo"))
	w := &World{Orgs: map[string]*ksp.Org{}, Users: map[string]*ksp.User{}, SharedDir: s.SharedDir, Store: s.Store}
	existing, _, err := s.Store.FindOrgs(sys, ksp.OrgFilter{Page: ksp.Page{Limit: ksp.MaxLimit}})
	if err != nil {
		return nil, fmt.Errorf("demo: list orgs: %w", err)
	}
	bySlug := map[string]*ksp.Org{}
	for _, o := range existing {
		bySlug[o.Slug] = o
	}
	staffOrg := bySlug["ksp-secretariat"]
	if staffOrg == nil {
		return nil, fmt.Errorf("demo: staff org missing: were migrations applied?")
	}
	w.Orgs["staff"] = staffOrg
	for _, d := range Orgs {
		slug := ksp.Slugify(d.Name)
		o := bySlug[slug]
		if o == nil {
			o = &ksp.Org{Name: d.Name, Kind: d.Kind, Size: d.Size, Website: "https://" + slug + ".example", Named: true}
			if d.Kind == ksp.KindPlatform {
				o.Domains = []ksp.Domain{{Domain: slug + ".example", Verified: true}}
			}
			if err := s.Store.CreateOrg(sys, o); err != nil {
				return nil, fmt.Errorf("demo: create org %s: %w", d.Name, err)
			}
		}
		w.Orgs[slug] = o
	}
	var logins []login
	ensure := func(o *ksp.Org, domain string, u User) (*ksp.User, error) {
		email := u.Local + "@" + domain
		users, _, err := s.Store.FindUsers(sys, o.ID, ksp.Page{Limit: ksp.MaxLimit})
		if err != nil {
			return nil, err
		}
		password := demoPassword()
		var found *ksp.User
		for _, x := range users {
			if x.Email == email {
				found = x
			}
		}
		if found == nil {
			if o.ID == ksp.StaffOrgID {
				found, err = s.Store.CreateStaffUser(sys, email, u.Name, password)
			} else {
				found, _, err = s.Store.CreateUser(sys, o.ID, ksp.NewUser{Email: email, Name: u.Name, Role: u.Role, Password: password})
			}
		} else {
			err = s.Store.SetPassword(sys, found.ID, password)
		}
		if err != nil {
			return nil, fmt.Errorf("demo: user %s: %w", email, err)
		}
		w.Users[email] = found
		l := login{email: email, password: password, org: o.Name, role: found.Role}
		if ksp.SecondFactorRequired(o.ID == ksp.StaffOrgID, found.Role) {
			if l.totp, err = s.seedTOTP(sys, o, found); err != nil {
				return nil, fmt.Errorf("demo: user %s: %w", email, err)
			}
		}
		logins = append(logins, l)
		return found, nil
	}
	var staffUsers []*ksp.User
	for _, u := range Staff {
		x, err := ensure(staffOrg, staffDomain, u)
		if err != nil {
			return nil, err
		}
		staffUsers = append(staffUsers, x)
	}
	admins := map[string]*ksp.User{}
	for _, d := range Orgs {
		slug := ksp.Slugify(d.Name)
		for _, u := range d.Users {
			x, err := ensure(w.Orgs[slug], slug+".example", u)
			if err != nil {
				return nil, err
			}
			if u.Role == ksp.RoleAdmin {
				admins[slug] = x
			}
		}
	}
	orgOf := map[string]*ksp.Org{}
	for _, o := range w.Orgs {
		orgOf[o.ID] = o
	}
	w.Actor = func(email string) *ksp.Actor {
		u := w.Users[email]
		if u == nil {
			return nil
		}
		o := orgOf[u.OrgID]
		return &ksp.Actor{UserID: u.ID, OrgID: o.ID, OrgKind: o.Kind, Role: u.Role, Staff: o.ID == ksp.StaffOrgID, Name: "user:" + u.ID}
	}

	if err := s.Store.RevokeDemoAPIKeys(sys); err != nil {
		return nil, fmt.Errorf("demo: revoke old keys: %w", err)
	}
	// Key order is fixed by API.md: staff, the large platform's admin, the
	// start-up's admin, the government's admin, the second staff member,
	// the small platform's admin.
	keyUsers := []*ksp.User{staffUsers[0], admins["vidstream"], admins["pixelboard"], admins[ksp.Slugify(Orgs[3].Name)], staffUsers[1], admins["threadly"]}
	for _, u := range keyUsers {
		a := w.Actor(u.Email)
		k, err := s.Store.CreateAPIKey(ksp.NewContext(ctx, a), ksp.NewAPIKey{Name: "demo", Scopes: ksp.AllowedScopes(a.Staff, a.OrgKind, a.Role), Demo: true})
		if err != nil {
			return nil, fmt.Errorf("demo: key for %s: %w", u.Email, err)
		}
		kind := "admin"
		if a.Staff {
			kind = "staff"
		}
		fmt.Fprintf(out, "demo api key: %s (%s, %s)\n", k.Secret, orgOf[u.OrgID].Name, kind)
	}
	for _, l := range logins {
		role := string(l.role)
		if strings.HasSuffix(l.email, "@"+staffDomain) {
			role = "staff"
		}
		totp := ""
		if l.totp != "" {
			totp = " totp:" + l.totp
		}
		fmt.Fprintf(out, "demo login: %s %s%s (%s, %s)\n", l.email, l.password, totp, l.org, role)
	}
	for _, ext := range s.Extend {
		if err := ext(sys, w); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// seedTOTP gives a user who must have a second factor a fresh TOTP secret,
// already enrolled, and returns it for the printout (rotated each start,
// like the passwords).
func (s *Seeder) seedTOTP(sys context.Context, o *ksp.Org, u *ksp.User) (string, error) {
	if u.TOTP {
		if err := s.Store.DisableTOTP(sys, u.ID); err != nil {
			return "", err
		}
	}
	secret := totp.NewSecret()
	// Enrol with the previous step's code (accepted as clock skew), so the
	// code shown right now still works for the first sign-in.
	code, err := totp.CodeAt(secret, totp.Step(time.Now())-1)
	if err != nil {
		return "", err
	}
	as := ksp.NewContext(sys, &ksp.Actor{UserID: u.ID, OrgID: o.ID, OrgKind: o.Kind, Role: u.Role, Staff: o.ID == ksp.StaffOrgID, Name: "system:demo"})
	if _, err := s.Store.EnableTOTP(as, u.ID, secret, code); err != nil {
		return "", err
	}
	u.TOTP = true
	return secret, nil
}

// demoPassword makes a fresh password each start: demo logins are printed,
// so they must not outlive the run that printed them.
func demoPassword() string {
	return "demo-" + ksp.RandomToken(8)
}
