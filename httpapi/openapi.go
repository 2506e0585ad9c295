package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// enums lists the allowed values of KSP's string types, so that the OpenAPI
// document states them and response validation checks them. A field whose
// values depend on where the type is used (an applicant's kind is never
// staff, a signal is never public) is narrowed in fieldEnums.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[ksp.Role]():         strs(ksp.Roles),
	reflect.TypeFor[ksp.Scope]():        strs(ksp.Scopes),
	reflect.TypeFor[ksp.OrgKind]():      append(strs(ksp.MemberKinds), string(ksp.KindStaff)),
	reflect.TypeFor[ksp.Distribution](): strs(ksp.Distributions),
	reflect.TypeFor[ksp.TLP]():          strs(ksp.TLPs),
	reflect.TypeFor[ksp.ResourceKind](): strs(ksp.ResourceKinds),
}

// Vocabularies the validators check against, as the document states them.
var (
	signalDistributions = strs(ksp.AllowedDistributions(false))
	applicantKinds      = strs(ksp.MemberKinds)
	orgStatuses         = []string{ksp.OrgStatusMember, ksp.OrgStatusSuspended}
	appStatuses         = []string{ksp.AppPending, ksp.AppApproved, ksp.AppRejected}
	userStatuses        = []string{ksp.UserInvited, ksp.UserActive}
)

// fieldEnums lists, by struct and JSON field, the values a field may take:
// in request bodies exactly what the validators accept (the same Go tables),
// in responses what the server writes. For a list the values are its items';
// for a map, its keys.
var fieldEnums = map[reflect.Type]map[string][]string{
	reflect.TypeFor[ksp.SubmissionInput](): {"type": ksp.SignalTypes, "content_type": ksp.ContentTypes, "labels": ksp.Labels,
		"basis": ksp.Bases, "severity": ksp.Severities, "flags": ksp.SignalFlags, "distribution": signalDistributions},
	reflect.TypeFor[ksp.Submission](): {"content_type": ksp.ContentTypes, "labels": ksp.Labels, "basis": ksp.Bases,
		"severity": ksp.Severities, "flags": ksp.SignalFlags, "distribution": signalDistributions},
	reflect.TypeFor[ksp.Signal](): {"type": ksp.SignalTypes, "content_types": ksp.ContentTypes, "labels": ksp.Labels,
		"severity": ksp.Severities, "flags": ksp.SignalFlags, "status": ksp.SignalStatuses, "feedback": ksp.Verdicts},
	reflect.TypeFor[ksp.FeedbackInput]():  {"verdict": ksp.Verdicts},
	reflect.TypeFor[ksp.ResolveInput]():   {"resolution": ksp.Resolutions, "labels": ksp.Labels},
	reflect.TypeFor[ksp.MatchQuery]():     {"type": ksp.SignalTypes},
	reflect.TypeFor[ksp.MatchHit]():       {"type": ksp.SignalTypes, "labels": ksp.Labels},
	reflect.TypeFor[ksp.Change]():         {"type": ksp.SignalTypes},
	reflect.TypeFor[ksp.NegativeInput]():  {"type": ksp.SignalTypes},
	reflect.TypeFor[ksp.NegativeEntry]():  {"type": ksp.SignalTypes},
	reflect.TypeFor[ksp.NewApplication](): {"kind": applicantKinds, "size": ksp.PlatformSizes},
	reflect.TypeFor[ksp.Application]():    {"kind": applicantKinds, "size": ksp.PlatformSizes, "status": appStatuses},
	reflect.TypeFor[ksp.Org]():            {"size": ksp.PlatformSizes, "status": orgStatuses},
	reflect.TypeFor[MeOrg]():              {"size": ksp.PlatformSizes, "status": orgStatuses},
	reflect.TypeFor[ksp.OrgUpdate]():      {"size": ksp.PlatformSizes, "status": orgStatuses},
	reflect.TypeFor[ksp.User]():           {"status": userStatuses},
	reflect.TypeFor[ksp.AlertInput]():     {"kind": alertKinds, "tier": ksp.AlertTiers, "threat_level": ksp.ThreatLevels, "labels": ksp.Labels},
	reflect.TypeFor[ksp.ResponseInput]():  {"action": ksp.AlertResponses},
}

var alertKinds = strs(ksp.AlertKinds)

// queryEnums lists, by "METHOD path" and parameter, the values a query
// parameter may take: those its handler checks.
var queryEnums = map[string]map[string][]string{
	"GET /api/v1/signals":      {"type": ksp.SignalTypes, "label": ksp.Labels, "status": ksp.SignalStatuses, "sort": signalSorts()},
	"GET /api/v1/applications": {"status": appStatuses},
	"GET /api/v1/resources":    {"kind": strs(ksp.ResourceKinds)},
	"GET /api/v1/search":       {"type": ksp.SearchTypes, "kind": strs(ksp.ResourceKinds)},
}

// signalSorts are the list's sorts: each figure ascending, or descending
// with "-" before it.
func signalSorts() []string {
	var out []string
	for _, s := range ksp.SignalSorts {
		out = append(out, s, "-"+s)
	}
	return out
}

// enumSchema is the schema of a field of Go type t restricted to vals.
func (g *schemaGen) enumSchema(t reflect.Type, vals []string) map[string]any {
	switch t.Kind() {
	case reflect.Pointer:
		return map[string]any{"anyOf": []any{g.enumSchema(t.Elem(), vals), map[string]any{"type": "null"}}}
	case reflect.Slice:
		return map[string]any{"type": []any{"array", "null"}, "items": g.enumSchema(t.Elem(), vals)}
	case reflect.Map:
		return map[string]any{"type": "object", "propertyNames": map[string]any{"enum": vals}, "additionalProperties": g.schema(t.Elem())}
	}
	return map[string]any{"type": "string", "enum": vals}
}

func strs[T ~string](v []T) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = string(x)
	}
	return out
}

// RegisterEnum adds the allowed values of a string type for the document.
func RegisterEnum[T ~string](values []T) {
	var zero T
	enums[reflect.TypeOf(zero)] = strs(values)
}

type schemaGen struct {
	components map[string]any
}

var (
	timeType = reflect.TypeOf(time.Time{})
	kspTime  = reflect.TypeOf(ksp.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
	// schemaerType is a type that writes its own JSON form and says so.
	schemaerType = reflect.TypeOf((*interface{ JSONSchema() map[string]any })(nil)).Elem()
)

var genericName = regexp.MustCompile(`[^A-Za-z0-9]+`)

func componentName(t reflect.Type) string {
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		n = n[:i] + "_" + genericName.ReplaceAllString(n[i:], "_")
	}
	return strings.Trim(n, "_")
}

// schema returns the JSON Schema of t, registering named structs as
// components.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	if vals, ok := enums[t]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	switch {
	case t == timeType, t == kspTime:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	case t.Kind() != reflect.Pointer && t.Implements(schemaerType):
		return reflect.Zero(t).Interface().(interface{ JSONSchema() map[string]any }).JSONSchema()
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := g.schema(t.Elem())
		return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": []any{"array", "null"}, "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := componentName(t)
		if name == "" {
			return g.structSchema(t)
		}
		if _, ok := g.components[name]; !ok {
			g.components[name] = nil // break recursion
			g.components[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				walk(ft)
				continue
			}
			if name == "" {
				name = f.Name
			}
			if vals, ok := fieldEnums[t][name]; ok {
				props[name] = g.enumSchema(f.Type, vals)
			} else {
				props[name] = g.schema(f.Type)
			}
			if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
	}
	walk(t)
	sort.Strings(required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI builds the OpenAPI 3.1 document from the route table and the Go
// types of its bodies.
func (s *Server) OpenAPI() map[string]any {
	g := &schemaGen{components: map[string]any{}}
	errRef := g.schema(reflect.TypeOf(ErrorBody{}))
	// The code of an error is one of API.md's: the ones statusOf maps.
	if detail, ok := g.components[componentName(reflect.TypeOf(ErrorDetail{}))].(map[string]any); ok {
		if props, ok := detail["properties"].(map[string]any); ok {
			props["code"] = map[string]any{"type": "string", "enum": ErrorCodes()}
		}
	}
	paths := map[string]any{}
	for _, rt := range s.routes {
		op := map[string]any{"summary": rt.Summary, "operationId": operationID(rt)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			schema := map[string]any{"type": "string"}
			if vals, ok := queryEnums[rt.Method+" "+rt.Path][q]; ok {
				schema["enum"] = vals
			}
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": schema})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.ReqType != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{rt.ReqType: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		}
		if rt.Req != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Req))}}}
		}
		status := rt.Status
		if status == 0 {
			status = 200
		}
		responses := map[string]any{}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.Resp != nil {
			body := g.schema(reflect.TypeOf(rt.Resp))
			if rt.List {
				body = map[string]any{"type": "object", "required": []string{"items"}, "additionalProperties": false,
					"properties": map[string]any{"items": map[string]any{"type": "array", "items": body}, "next_cursor": map[string]any{"type": "string"}}}
			}
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": body}}
		}
		responses[strconv.Itoa(status)] = ok
		if status == 201 {
			// Merged submissions answer 200 with the same body.
			responses["200"] = ok
		}
		responses["default"] = map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
		op["responses"] = responses
		if !rt.Public {
			op["security"] = []any{map[string]any{"apiKey": []any{}}}
			if rt.Anonymous {
				// An empty requirement: the key is optional.
				op["security"] = []any{map[string]any{"apiKey": []any{}}, map[string]any{}}
			}
			// What the route table checks: the minimum role and the key
			// scope.
			role := string(rt.Role)
			if rt.Staff {
				role = "staff"
			}
			op["x-ksp-role"], op["x-ksp-scope"] = role, string(rt.Scope)
		}
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "KSP API", "version": "1",
			"description": "Knowledge-sharing platform against terrorist use of the internet. Errors: {\"error\":{\"code\",\"message\",\"fields\"}}. Lists: newest first, ?limit= (max 1000) and ?cursor=."},
		"paths": paths,
		"components": map[string]any{
			"schemas":         g.components,
			"securitySchemes": map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer", "description": "ksp_ followed by 40 letters and digits"}},
		},
	}
}

func operationID(rt *Route) string {
	p := strings.NewReplacer("/api/v1/", "", "{", "", "}", "", "/", "_", "-", "_", ".", "_").Replace(rt.Path)
	return strings.ToLower(rt.Method) + "_" + p
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	s.openapiOnce.Do(func() {
		s.openapiDoc, _ = json.MarshalIndent(s.OpenAPI(), "", "  ")
	})
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openapiDoc)
}
