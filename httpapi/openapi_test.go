package httpapi_test

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/storetest"
)

// vocabulary is every value of every vocabulary KSP knows, and some it does
// not: each enum of the document is checked against the server over all of
// them.
func vocabulary() []string {
	var all []string
	add := func(v ...string) { all = append(all, v...) }
	add(ksp.SignalTypes...)
	add(ksp.ContentTypes...)
	add(ksp.Labels...)
	add(ksp.Bases...)
	add(ksp.Severities...)
	add(ksp.SignalFlags...)
	add(ksp.Verdicts...)
	add(ksp.Resolutions...)
	add(ksp.SignalStatuses...)
	add(ksp.PlatformSizes...)
	add(ksp.OrgStatusMember, ksp.OrgStatusSuspended, ksp.AppPending, ksp.AppApproved, ksp.AppRejected, ksp.UserInvited, ksp.UserActive)
	for _, d := range ksp.Distributions {
		add(string(d))
	}
	for _, k := range ksp.AlertKinds {
		add(string(k))
	}
	add(ksp.AlertTiers...)
	add(ksp.ThreatLevels...)
	add(ksp.AlertResponses...)
	for _, t := range ksp.TLPs {
		add(string(t))
	}
	for _, k := range append(ksp.MemberKinds, ksp.KindStaff) {
		add(string(k))
	}
	for _, r := range ksp.Roles {
		add(string(r))
	}
	for _, s := range ksp.Scopes {
		add(string(s))
	}
	add("sha1", "meme", "WHITE", "owner_only", "nonsense", "matches", "--first_seen")
	for _, s := range ksp.SignalSorts {
		add(s, "-"+s)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// docEnum returns the enum the document states at "Component.property" or
// at "METHOD /path?parameter", looking through null alternatives, list
// items and map keys.
func (e *env) docEnum(t *testing.T, at string) []string {
	t.Helper()
	var s any
	if method, rest, ok := strings.Cut(at, " "); ok {
		path, param, _ := strings.Cut(rest, "?")
		op, _ := e.doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			if p := p.(map[string]any); p["name"] == param {
				s = p["schema"]
			}
		}
	} else {
		comp, prop, _ := strings.Cut(at, ".")
		schema, _ := e.doc["components"].(map[string]any)["schemas"].(map[string]any)[comp].(map[string]any)
		props, _ := schema["properties"].(map[string]any)
		s = props[prop]
	}
	if s == nil {
		t.Fatalf("the document has no %s", at)
	}
	return enumIn(s)
}

// enumIn finds the enum of a schema, or nil.
func enumIn(s any) []string {
	m, _ := s.(map[string]any)
	if m == nil {
		return nil
	}
	if vals, ok := m["enum"]; ok {
		return asStrings(vals)
	}
	if alts, ok := m["anyOf"].([]any); ok {
		for _, a := range alts {
			if v := enumIn(a); v != nil {
				return v
			}
		}
	}
	for _, k := range []string{"items", "propertyNames"} {
		if v := enumIn(m[k]); v != nil {
			return v
		}
	}
	return nil
}

// requestEnums lists every place of a request where the document states
// an enum: properties of request bodies (and of the objects inside them)
// as "Component.property", query parameters as "METHOD /path?parameter".
func (e *env) requestEnums() []string {
	schemas := e.doc["components"].(map[string]any)["schemas"].(map[string]any)
	seen := map[string]bool{}
	var out []string
	var walk func(s any)
	walk = func(s any) {
		m, _ := s.(map[string]any)
		if m == nil {
			return
		}
		if ref, ok := m["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/components/schemas/")
			if seen[name] {
				return
			}
			seen[name] = true
			props, _ := schemas[name].(map[string]any)["properties"].(map[string]any)
			for p, ps := range props {
				if enumIn(ps) != nil {
					out = append(out, name+"."+p)
				}
				walk(ps)
			}
			return
		}
		for _, k := range []string{"items", "additionalProperties"} {
			walk(m[k])
		}
		alts, _ := m["anyOf"].([]any)
		for _, a := range alts {
			walk(a)
		}
	}
	for path, item := range e.doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			op := op.(map[string]any)
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				if p := p.(map[string]any); p["in"] == "query" && enumIn(p["schema"]) != nil {
					out = append(out, strings.ToUpper(method)+" "+path+"?"+p["name"].(string))
				}
			}
			body, _ := op["requestBody"].(map[string]any)
			content, _ := body["content"].(map[string]any)
			js, _ := content["application/json"].(map[string]any)
			walk(js["schema"])
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIEnumsAreWhatTheServerAccepts: every value an enum of the
// document offers for a request is accepted by the server, and every value
// of KSP's vocabularies the server accepts there is offered. Each value is
// sent through the API, so the real validators decide.
func TestOpenAPIEnumsAreWhatTheServerAccepts(t *testing.T) {
	e := newEnv(t, fast())
	fx := e.fx
	n := 1000
	next := func() int { n++; return n }
	// An incident_id must name an incident the submitter may see.
	incident := &ksp.Incident{Type: ksp.IncidentTypeIncident, Title: "Enum Test Incident"}
	if err := fx.DB.CreateIncident(storetest.Staff(), incident); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.DB.ActivateIncident(storetest.Staff(), incident.ID, ksp.ActivateIncidentInput{Emergency: true}); err != nil {
		t.Fatal(err)
	}
	// sample is a well-formed value of a signal type (any 64 hex digits
	// for a type the server does not know).
	sample := func(typ string, n int) string {
		switch typ {
		case ksp.TypeMD5:
			s := md5.Sum([]byte(fmt.Sprint(n)))
			return hex.EncodeToString(s[:])
		case ksp.TypeURL:
			return fmt.Sprintf("https://host.example/%d", n)
		}
		return storetest.PDQValue(n)
	}
	// An entity_id must name an entity the store knows.
	linked := &ksp.Entity{Kind: ksp.EntityGroup, Name: "Enum Test Group"}
	if err := fx.DB.CreateEntity(storetest.Staff(), linked); err != nil {
		t.Fatal(err)
	}
	submission := func(edit func(m map[string]any)) map[string]any {
		m := map[string]any{"type": "pdq", "value": storetest.PDQValue(next()), "content_type": "photo", "labels": []string{"propaganda"}, "basis": "branded_publication"}
		edit(m)
		return m
	}
	// signal shares a new signal by the start-up that every member sees.
	signal := func(t *testing.T) string {
		r := e.do("POST", "/api/v1/signals", e.keys["startup"], submission(func(map[string]any) {}))
		if r.status != 201 {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
		return r.json(t)["id"].(string)
	}
	submit := func(edit func(v string, m map[string]any)) func(t *testing.T, v string) resp {
		return func(t *testing.T, v string) resp {
			return e.do("POST", "/api/v1/signals", e.keys["admin"], submission(func(m map[string]any) { edit(v, m) }))
		}
	}
	users := fmt.Sprintf("/api/v1/orgs/%s/users", fx.Platform.ID)
	newUser := func(t *testing.T, role string) resp {
		return e.do("POST", users, e.keys["admin"], map[string]any{"email": fmt.Sprintf("user%d@vidstream.example", next()), "name": "Enum Test", "role": role})
	}
	apply := func(kind, size string) resp {
		return e.do("POST", "/api/v1/applications", "", map[string]any{"org_name": fmt.Sprintf("Applicant %d", next()), "kind": kind, "size": size,
			"website": "https://applicant.example", "domains": []string{}, "contact_name": "A. Person", "contact_email": "a@applicant.example", "motivation": "To share hashes."})
	}
	query := func(path, key, param string) func(t *testing.T, v string) resp {
		return func(t *testing.T, v string) resp {
			sep := "?"
			if strings.HasSuffix(path, "&") {
				sep = ""
			}
			return e.do("GET", path+sep+param+"="+url.QueryEscape(v), e.keys[key], nil)
		}
	}
	newResource := func(edit func(v string, m map[string]any)) func(t *testing.T, v string) resp {
		return func(t *testing.T, v string) resp {
			m := map[string]any{"kind": "guide", "title": fmt.Sprintf("Enum test %d", next())}
			edit(v, m)
			return e.do("POST", "/api/v1/resources", e.keys["admin"], m)
		}
	}
	patchResource := func(edit func(v string, m map[string]any)) func(t *testing.T, v string) resp {
		return func(t *testing.T, v string) resp {
			r := e.do("POST", "/api/v1/resources", e.keys["admin"], map[string]any{"kind": "guide", "title": fmt.Sprintf("Enum test %d", next())})
			if r.status != 201 {
				t.Fatalf("new resource: %d %s", r.status, r.body)
			}
			m := map[string]any{}
			edit(v, m)
			return e.do("PATCH", "/api/v1/resources/"+r.json(t)["id"].(string), e.keys["admin"], m)
		}
	}
	// alert sends a new referral from the government to the large
	// platform, edited by edit.
	alert := func(edit func(v string, m map[string]any)) func(t *testing.T, v string) resp {
		return func(t *testing.T, v string) resp {
			m := map[string]any{"url": fmt.Sprintf("https://big-platform.example/enum/%d", next()), "kind": "referral", "tier": "designation"}
			edit(v, m)
			return e.do("POST", "/api/v1/alerts", e.keys["gov"], m)
		}
	}
	tests := []struct {
		at    string // where the document states the enum
		field string // the field a refusal names
		send  func(t *testing.T, v string) resp
	}{
		{"SubmissionInput.type", "type", submit(func(v string, m map[string]any) { m["type"], m["value"] = v, sample(v, next()) })},
		{"SubmissionInput.content_type", "content_type", submit(func(v string, m map[string]any) { m["content_type"] = v })},
		{"SubmissionInput.labels", "labels", submit(func(v string, m map[string]any) { m["labels"] = []string{v} })},
		{"SubmissionInput.basis", "basis", submit(func(v string, m map[string]any) {
			m["basis"], m["entity_id"], m["incident_id"], m["basis_reason"] = v, linked.ID, incident.ID, "enum test"
		})},
		{"SubmissionInput.severity", "severity", submit(func(v string, m map[string]any) { m["severity"] = v })},
		{"SubmissionInput.flags", "flags", submit(func(v string, m map[string]any) { m["flags"] = []string{v} })},
		{"SubmissionInput.distribution", "distribution", submit(func(v string, m map[string]any) {
			m["distribution"], m["tlp"] = v, "CLEAR" // the only TLP a public item may have
			if v == string(ksp.DistAudience) {
				m["audience"] = []string{fx.Startup.ID}
			}
		})},
		{"SubmissionInput.tlp", "tlp", submit(func(v string, m map[string]any) { m["tlp"], m["distribution"] = v, "owner" })},
		{"FeedbackInput.verdict", "verdict", func(t *testing.T, v string) resp {
			return e.do("POST", "/api/v1/signals/"+signal(t)+"/feedback", e.keys["admin"], map[string]any{"verdict": v})
		}},
		{"ResolveInput.resolution", "resolution", func(t *testing.T, v string) resp {
			body := map[string]any{"resolution": v, "reason": "enum test"}
			if v == "relabelled" {
				body["labels"] = []string{"glorification"}
			}
			return e.do("POST", "/api/v1/signals/"+signal(t)+"/resolve", e.keys["staff"], body)
		}},
		{"ResolveInput.labels", "labels", func(t *testing.T, v string) resp {
			return e.do("POST", "/api/v1/signals/"+signal(t)+"/resolve", e.keys["staff"], map[string]any{"resolution": "relabelled", "reason": "enum test", "labels": []string{v}})
		}},
		{"MatchQuery.type", "queries[0].type", func(t *testing.T, v string) resp {
			return e.do("POST", "/api/v1/match", e.keys["viewer"], map[string]any{"queries": []any{map[string]any{"type": v, "value": sample(v, 1)}}})
		}},
		{"NegativeInput.type", "type", func(t *testing.T, v string) resp {
			return e.do("POST", "/api/v1/negative-bank", e.keys["admin"], map[string]any{"type": v, "value": sample(v, next()), "reason": "enum test"})
		}},
		{"NewApplication.kind", "kind", func(t *testing.T, v string) resp {
			size := ""
			if v == string(ksp.KindPlatform) {
				size = ksp.SizeSmall
			}
			return apply(v, size)
		}},
		{"NewApplication.size", "size", func(t *testing.T, v string) resp { return apply(string(ksp.KindPlatform), v) }},
		{"NewUser.role", "role", newUser},
		{"UserUpdate.role", "role", func(t *testing.T, v string) resp {
			r := newUser(t, string(ksp.RoleViewer))
			if r.status != 201 {
				t.Fatalf("new user: %d %s", r.status, r.body)
			}
			return e.do("PATCH", users+"/"+r.json(t)["id"].(string), e.keys["admin"], map[string]any{"role": v})
		}},
		{"NewAPIKey.scopes", "scopes", func(t *testing.T, v string) resp {
			return e.do("POST", "/api/v1/apikeys", e.keys["staff"], map[string]any{"name": "enum test", "scopes": []string{v}})
		}},
		{"OrgUpdate.size", "size", func(t *testing.T, v string) resp {
			return e.do("PATCH", "/api/v1/orgs/"+fx.Platform.ID, e.keys["admin"], map[string]any{"size": v})
		}},
		{"OrgUpdate.status", "status", func(t *testing.T, v string) resp {
			r := e.do("PATCH", "/api/v1/orgs/"+fx.Gov.ID, e.keys["staff"], map[string]any{"status": v})
			if back := e.do("PATCH", "/api/v1/orgs/"+fx.Gov.ID, e.keys["staff"], map[string]any{"status": ksp.OrgStatusMember}); back.status != 200 {
				t.Fatalf("reinstate: %d %s", back.status, back.body)
			}
			return r
		}},
		{"AlertInput.kind", "kind", alert(func(v string, m map[string]any) {
			m["kind"] = v
			if v == string(ksp.AlertTCORemovalOrder) {
				m["order"] = map[string]any{"issuing_authority": "Enum Authority", "member_state": "DE", "legal_basis": "Art. 3", "received_at": time.Now().UTC().Format(time.RFC3339)}
			}
		})},
		{"AlertInput.tier", "tier", alert(func(v string, m map[string]any) {
			m["tier"] = v
			if v == ksp.TierThreatToLife {
				m["threat_level"] = "low"
			}
		})},
		{"AlertInput.threat_level", "threat_level", alert(func(v string, m map[string]any) { m["tier"], m["threat_level"] = ksp.TierThreatToLife, v })},
		{"AlertInput.labels", "labels", alert(func(v string, m map[string]any) { m["labels"] = []string{v} })},
		{"AlertInput.tlp", "tlp", alert(func(v string, m map[string]any) { m["tlp"] = v })},
		{"ResponseInput.action", "action", func(t *testing.T, v string) resp {
			r := alert(func(string, map[string]any) {})(t, "")
			if r.status != 201 {
				t.Fatalf("alert: %d %s", r.status, r.body)
			}
			body := map[string]any{"action": v, "reason": "enum test"}
			return e.do("POST", "/api/v1/alerts/"+r.json(t)["id"].(string)+"/response", e.keys["admin"], body)
		}},
		{"IncidentInput.distribution", "distribution", func(t *testing.T, v string) resp {
			body := map[string]any{"type": "incident", "title": "Enum test", "distribution": v, "tlp": "CLEAR"}
			if v == string(ksp.DistAudience) {
				body["audience"] = []string{fx.Startup.ID}
			}
			return e.do("POST", "/api/v1/incidents", e.keys["staff"], body)
		}},
		{"IncidentInput.tlp", "tlp", func(t *testing.T, v string) resp {
			return e.do("POST", "/api/v1/incidents", e.keys["staff"], map[string]any{"type": "incident", "title": "Enum test", "distribution": "owner", "tlp": v})
		}},
		{"GET /api/v1/signals?type", "type", query("/api/v1/signals", "viewer", "type")},
		{"GET /api/v1/signals?label", "label", query("/api/v1/signals", "viewer", "label")},
		{"GET /api/v1/signals?status", "status", query("/api/v1/signals", "viewer", "status")},
		{"GET /api/v1/signals?sort", "sort", query("/api/v1/signals", "viewer", "sort")},
		{"GET /api/v1/applications?status", "status", query("/api/v1/applications", "staff", "status")},
		{"GET /api/v1/resources?kind", "kind", query("/api/v1/resources", "viewer", "kind")},
		{"GET /api/v1/search?type", "type", query("/api/v1/search?q=x&", "viewer", "type")},
		{"GET /api/v1/search?kind", "kind", query("/api/v1/search?q=x&", "viewer", "kind")},
		{"ResourceInput.kind", "kind", newResource(func(v string, m map[string]any) { m["kind"] = v })},
		{"ResourceInput.distribution", "distribution", newResource(func(v string, m map[string]any) {
			m["distribution"], m["tlp"] = v, "CLEAR"
			if v == string(ksp.DistAudience) {
				m["audience"] = []string{fx.Startup.ID}
			}
		})},
		{"ResourceInput.tlp", "tlp", newResource(func(v string, m map[string]any) { m["tlp"], m["distribution"] = v, "owner" })},
		{"QuestionInput.distribution", "distribution", func(t *testing.T, v string) resp {
			m := map[string]any{"title": fmt.Sprintf("Enum question %d", next()), "body": "b", "distribution": v, "tlp": "CLEAR"}
			if v == string(ksp.DistAudience) {
				m["audience"] = []string{fx.Startup.ID}
			}
			return e.do("POST", "/api/v1/questions", e.keys["admin"], m)
		}},
		{"QuestionInput.tlp", "tlp", func(t *testing.T, v string) resp {
			return e.do("POST", "/api/v1/questions", e.keys["admin"], map[string]any{"title": "Enum question", "body": "b", "distribution": "owner", "tlp": v})
		}},
		{"ResourceUpdate.kind", "kind", patchResource(func(v string, m map[string]any) { m["kind"] = v })},
		{"ResourceUpdate.distribution", "distribution", patchResource(func(v string, m map[string]any) {
			m["distribution"], m["tlp"] = v, "CLEAR"
			if v == string(ksp.DistAudience) {
				m["audience"] = []string{fx.Startup.ID}
			}
		})},
		{"ResourceUpdate.tlp", "tlp", patchResource(func(v string, m map[string]any) { m["tlp"], m["distribution"] = v, "owner" })},
	}
	var covered []string
	for _, tt := range tests {
		covered = append(covered, tt.at)
		t.Run(tt.at, func(t *testing.T) {
			offered := e.docEnum(t, tt.at)
			if len(offered) == 0 {
				t.Fatalf("the document states no values for %s", tt.at)
			}
			for _, v := range vocabulary() {
				r := tt.send(t, v)
				accepted := r.status < 300
				if !accepted {
					er, _ := r.json(t)["error"].(map[string]any)
					fields, _ := er["fields"].([]any)
					if r.status != 400 || len(fields) == 0 || fields[0].(map[string]any)["field"] != tt.field {
						t.Fatalf("%q: refused for another reason than %s: %d %s", v, tt.field, r.status, r.body)
					}
				}
				switch inDoc := slices.Contains(offered, v); {
				case inDoc && !accepted:
					t.Errorf("the document offers %q, the server refuses it: %s", v, r.body)
				case accepted && !inDoc:
					t.Errorf("the server accepts %q, the document does not offer it", v)
				}
			}
		})
	}
	// Every enum of a request is in the table above.
	slices.Sort(covered)
	if got := e.requestEnums(); !slices.Equal(got, covered) {
		t.Errorf("request enums in the document:\n%v\ntested:\n%v", got, covered)
	}
}

// TestOpenAPIOffersNoRefusedValues names the values the server refuses that
// the document used to offer.
func TestOpenAPIOffersNoRefusedValues(t *testing.T) {
	e := newEnv(t, fast())
	tests := []struct{ at, refused string }{
		{"SubmissionInput.distribution", "public"},
		{"Submission.distribution", "public"},
		{"NewApplication.kind", "staff"},
		{"Application.kind", "staff"},
	}
	for _, tt := range tests {
		if slices.Contains(e.docEnum(t, tt.at), tt.refused) {
			t.Errorf("%s offers %q", tt.at, tt.refused)
		}
	}
	// Where the staff org is shown, its kind is.
	if !slices.Contains(e.docEnum(t, "Org.kind"), "staff") {
		t.Error("Org.kind lacks staff, the secretariat's kind")
	}
}
