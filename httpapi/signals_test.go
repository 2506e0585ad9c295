package httpapi_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/httpapi"
	"github.com/kspplatform/ksp/pdq/pdqtest"
	"github.com/kspplatform/ksp/storetest"
)

func fast() httpapi.Config {
	return httpapi.Config{KeyRate: 1e6, KeyBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, ApplyPerHour: 1e6}
}

func submission(n int, d ksp.Distribution, tlp ksp.TLP, audience ...string) map[string]any {
	m := map[string]any{"type": "pdq", "value": storetest.PDQValue(n), "content_type": "photo", "labels": []string{"propaganda"},
		"basis": "branded_publication", "distribution": d, "tlp": tlp}
	if len(audience) > 0 {
		m["audience"] = audience
	}
	return m
}

// TestMatchNeverRevealsHidden shares one value under every allowed
// distribution × TLP from the large platform and matches each as the three
// orgs: only what a viewer may see comes back.
func TestMatchNeverRevealsHidden(t *testing.T) {
	e := newEnv(t, fast())
	type item struct {
		n  int
		id string
		s  ksp.Sharing
	}
	var items []item
	n := 0
	for _, d := range ksp.Distributions {
		for _, tlp := range ksp.TLPs {
			n++
			var aud []string
			if d == ksp.DistAudience {
				aud = []string{e.fx.Startup.ID}
			}
			r := e.do("POST", "/api/v1/signals", e.keys["admin"], submission(n, d, tlp, aud...))
			var fe ksp.Fields
			ksp.ValidateSharing(ksp.Sharing{Distribution: d, TLP: tlp, Audience: aud}, false, &fe)
			if fe.Err() != nil {
				wantError(t, r, 400, "invalid", fe[0].Field)
				continue
			}
			if r.status != 201 {
				t.Fatalf("%s/%s: %d %s", d, tlp, r.status, r.body)
			}
			items = append(items, item{n, r.json(t)["id"].(string), ksp.Sharing{OwnerOrgID: e.fx.Platform.ID, Distribution: d, TLP: tlp, Audience: aud}})
		}
	}
	var queries []map[string]any
	for _, it := range items {
		queries = append(queries, map[string]any{"type": "pdq", "value": storetest.PDQValue(it.n)})
	}
	for _, vc := range []struct {
		key string
		v   ksp.Viewer
	}{{"admin", ksp.Viewer{OrgID: e.fx.Platform.ID}}, {"startup", ksp.Viewer{OrgID: e.fx.Startup.ID}}, {"staff", ksp.Viewer{OrgID: ksp.StaffOrgID, Staff: true}}, {"viewer", ksp.Viewer{OrgID: e.fx.Platform.ID}}} {
		r := e.do("POST", "/api/v1/match", e.keys[vc.key], map[string]any{"queries": queries, "threshold": 0})
		if r.status != 200 {
			t.Fatalf("%s: %d %s", vc.key, r.status, r.body)
		}
		results := r.json(t)["results"].([]any)
		if len(results) != len(items) {
			t.Fatalf("%d results for %d queries", len(results), len(items))
		}
		visible := 0
		for i, it := range items {
			matches := results[i].(map[string]any)["matches"].([]any)
			want := ksp.CanSee(vc.v, it.s)
			if want {
				visible++
			}
			if (len(matches) == 1) != want {
				t.Errorf("%s, %s/%s: %d matches, visible=%v", vc.key, it.s.Distribution, it.s.TLP, len(matches), want)
			}
			if len(matches) == 1 && matches[0].(map[string]any)["signal_id"] != it.id {
				t.Errorf("wrong signal matched")
			}
		}
		list := e.do("GET", "/api/v1/signals?limit=1000", e.keys[vc.key], nil)
		if got := len(list.json(t)["items"].([]any)); got != visible {
			t.Errorf("%s: list shows %d, match shows %d", vc.key, got, visible)
		}
	}
	// Governments get no match scope.
	if r := e.do("POST", "/api/v1/match", e.keys["gov"], map[string]any{"queries": queries[:1]}); r.status != 403 {
		t.Fatalf("government match: %d", r.status)
	}
}

func TestMatchActionabilityChangesAtOnce(t *testing.T) {
	e := newEnv(t, fast())
	r := e.do("POST", "/api/v1/signals", e.keys["admin"], submission(1, ksp.DistMembers, ksp.TLPGreen))
	id := r.json(t)["id"].(string)
	// A near-duplicate 3 bits away matches at the default threshold.
	v := []byte(storetest.PDQValue(1))
	for i := 0; i < 3; i++ {
		v[i] = map[byte]byte{'0': '1', '1': '0', '2': '3', '3': '2', '4': '5', '5': '4', '6': '7', '7': '6', '8': '9', '9': '8', 'a': 'b', 'b': 'a', 'c': 'd', 'd': 'c', 'e': 'f', 'f': 'e'}[v[i]]
	}
	match := func() map[string]any {
		r := e.do("POST", "/api/v1/match", e.keys["startup"], map[string]any{"queries": []map[string]any{{"type": "pdq", "value": string(v)}}})
		ms := r.json(t)["results"].([]any)[0].(map[string]any)["matches"].([]any)
		if len(ms) != 1 {
			t.Fatalf("matches: %s", r.body)
		}
		return ms[0].(map[string]any)
	}
	if m := match(); m["actionable"] != true || m["distance"].(float64) != 3 || m["signal_id"] != id {
		t.Fatalf("fresh signal: %v", m)
	}
	if r := e.do("POST", "/api/v1/signals/"+id+"/feedback", e.keys["startup"], map[string]any{"verdict": "disputed", "comment": "documentation of a trial"}); r.status != 200 {
		t.Fatalf("feedback: %d %s", r.status, r.body)
	}
	if m := match(); m["actionable"] != false || m["not_actionable_reason"] != "disputed" {
		t.Fatalf("disputed signal still actionable: %v", m)
	}
	if r := e.do("POST", "/api/v1/signals/"+id+"/resolve", e.keys["staff"], map[string]any{"resolution": "upheld", "reason": "official media office output"}); r.status != 200 {
		t.Fatalf("resolve: %d %s", r.status, r.body)
	}
	if m := match(); m["actionable"] != true {
		t.Fatalf("upheld signal not actionable: %v", m)
	}
	if r := e.do("POST", "/api/v1/signals/"+id+"/retract", e.keys["admin"], nil); r.status != 200 {
		t.Fatalf("retract: %d %s", r.status, r.body)
	}
	if m := match(); m["actionable"] != false || m["not_actionable_reason"] != "retracted" {
		t.Fatalf("retracted signal still actionable: %v", m)
	}
	ch := e.do("GET", "/api/v1/signals/changes?after=0", e.keys["startup"], nil)
	items := ch.json(t)["items"].([]any)
	last := items[len(items)-1].(map[string]any)
	if last["op"] != "tombstone" || last["reason"] != "retracted" {
		t.Fatalf("changes: %s", ch.body)
	}
	// The negative bank cancels matches near its hashes.
	r = e.do("POST", "/api/v1/signals", e.keys["admin"], submission(2, ksp.DistMembers, ksp.TLPGreen))
	if r.status != 201 {
		t.Fatal(string(r.body))
	}
	if r := e.do("POST", "/api/v1/negative-bank", e.keys["startup"], map[string]any{"type": "pdq", "value": storetest.PDQValue(2), "reason": "company logo"}); r.status != 201 {
		t.Fatalf("negative: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/match", e.keys["startup"], map[string]any{"queries": []map[string]any{{"type": "pdq", "value": storetest.PDQValue(2)}}})
	if m := r.json(t)["results"].([]any)[0].(map[string]any)["matches"].([]any)[0].(map[string]any); m["actionable"] != false || m["not_actionable_reason"] != "negative_bank" {
		t.Fatalf("negative-bank hit actionable: %v", m)
	}
}

func TestSignalsBadInput(t *testing.T) {
	cfg := fast()
	cfg.MaxImageBytes = 64 << 10
	cfg.MaxPixels = 1_000_000
	e := newEnv(t, cfg)
	good := submission(1, ksp.DistMembers, ksp.TLPGreen)
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"bad hex", with("value", strings.Repeat("z", 64)), "value"},
		{"wrong length", with("value", "abc"), "value"},
		{"unknown type", with("type", "phash"), "type"},
		{"unknown label", with("labels", []string{"memes"}), "labels"},
		{"url without host", map[string]any{"type": "url", "value": "https://", "content_type": "url", "labels": []string{"propaganda"}}, "value"},
		{"non-http url", map[string]any{"type": "url", "value": "ftp://host.example/x", "content_type": "url", "labels": []string{"propaganda"}}, "value"},
		{"low quality", with("quality", 30), "quality"},
		{"public", with("distribution", "public"), "distribution"},
		{"red members", with("tlp", "RED"), "distribution"},
		{"wrong type", with("labels", "propaganda"), "labels"},
		{"unknown field", with("hash", "x"), "hash"},
		{"no basis, no reason", with("basis", ""), "basis_reason"},
		{"other, no reason", with("basis", "other"), "basis_reason"},
		{"bidi in url", map[string]any{"type": "url", "value": "https://host.example/\u202egpj.exe", "content_type": "url", "labels": []string{"propaganda"}, "basis": "branded_publication"}, "value"},
		{"port above 65535", map[string]any{"type": "url", "value": "https://host.example:65536/", "content_type": "url", "labels": []string{"propaganda"}, "basis": "branded_publication"}, "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, e.do("POST", "/api/v1/signals", e.keys["admin"], tt.body), 400, "invalid", tt.field)
		})
	}
	if r := e.do("GET", "/api/v1/signals", e.keys["staff"], nil); len(r.json(t)["items"].([]any)) != 0 {
		t.Fatalf("bad input was written: %s", r.body)
	}
	r := e.do("POST", "/api/v1/signals", e.keys["admin"], good)
	id := r.json(t)["id"].(string)
	wantError(t, e.do("POST", "/api/v1/signals/"+id+"/feedback", e.keys["admin"], map[string]any{"verdict": "wrong"}), 400, "invalid", "verdict")
	wantError(t, e.do("POST", "/api/v1/signals/"+id+"/resolve", e.keys["staff"], map[string]any{"resolution": "relabelled", "reason": "x"}), 400, "invalid", "labels")
	wantError(t, e.do("GET", "/api/v1/signals?label=memes", e.keys["admin"], nil), 400, "invalid", "label")
	wantError(t, e.do("GET", "/api/v1/signals/changes?after=x", e.keys["admin"], nil), 400, "invalid", "after")

	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"type": "md5", "value": strings.Repeat("a", 32)}
	}
	wantError(t, e.do("POST", "/api/v1/match", e.keys["admin"], map[string]any{"queries": many}), 400, "invalid", "queries")
	wantError(t, e.do("POST", "/api/v1/match", e.keys["admin"], map[string]any{"queries": many[:1], "threshold": 65}), 400, "invalid", "threshold")
	wantError(t, e.do("POST", "/api/v1/match", e.keys["admin"], map[string]any{"queries": []map[string]any{{"type": "pdq", "value": "xyz"}}}), 400, "invalid", "queries[0].value")
	wantError(t, e.do("POST", "/api/v1/match", e.keys["admin"], map[string]any{"queries": []map[string]any{{"type": "tlsh", "value": "xyz"}}}), 400, "invalid", "queries[0].type")
	wantError(t, e.do("POST", "/api/v1/match", e.keys["admin"], map[string]any{"queries": many[:1], "dihedral": true}), 400, "invalid", "dihedral")

	wantError(t, e.do("POST", "/api/v1/match/image", e.keys["admin"], []byte("%PDF-1.4 not an image")), 400, "invalid", "body")
	wantError(t, e.do("POST", "/api/v1/match/image", e.keys["admin"], []byte{}), 400, "invalid", "body")
	wantError(t, e.do("POST", "/api/v1/match/image", e.keys["admin"], bytes.Repeat([]byte{0xff}, 70<<10)), 413, "too_large", "")
	// A small PNG claiming huge dimensions is refused before decoding.
	big := image.NewGray(image.Rect(0, 0, 2000, 1000))
	var buf bytes.Buffer
	png.Encode(&buf, big)
	wantError(t, e.do("POST", "/api/v1/match/image", e.keys["admin"], buf.Bytes()), 413, "too_large", "body")
	// A truncated image is refused clearly.
	small := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for x := 0; x < 64; x++ {
		small.Set(x, x, color.White)
	}
	buf.Reset()
	png.Encode(&buf, small)
	wantError(t, e.do("POST", "/api/v1/match/image", e.keys["admin"], buf.Bytes()[:buf.Len()/2]), 400, "invalid", "body")

	// Bulk: a body with a line that cannot be parsed, anywhere, is refused
	// whole, naming the line; nothing of it is stored.
	ten, eleven := jsonLine(submission(10, ksp.DistMembers, ksp.TLPGreen)), jsonLine(submission(11, ksp.DistMembers, ksp.TLPGreen))
	for _, tc := range []struct {
		name, body string
		line       float64
	}{
		{"malformed JSON", ten + "\n{\"type\":\"pdq\"\n" + eleven + "\n", 2},
		{"malformed last line", ten + "\n" + eleven + "\n{", 3},
		{"a line over 1 MiB", ten + "\n\n{\"basis_reason\":\"" + strings.Repeat("x", 1<<20) + "\"}\n" + eleven + "\n", 3},
	} {
		r = e.do("POST", "/api/v1/signals/batch", e.keys["admin"], tc.body)
		wantError(t, r, 400, "invalid", "line")
		if f := r.json(t)["error"].(map[string]any)["fields"].([]any)[0].(map[string]any); f["line"] != tc.line {
			t.Fatalf("%s: error names %v, want line %v", tc.name, f, tc.line)
		}
	}
	// Good records kept, records that cannot be used reported by line
	// and field (one record with two bad fields is one record).
	nd := fmt.Sprintf("%s\n{\"type\":\"pdq\",\"colour\":\"red\",\"quality\":\"x\"}\n\n%s\n%s\n", ten, jsonLine(with("labels", []string{"memes"})), eleven)
	r = e.do("POST", "/api/v1/signals/batch", e.keys["admin"], nd)
	res := r.json(t)
	rej := res["rejected"].([]any)
	if r.status != 200 || res["created"].(float64) != 2 || len(rej) != 3 || rej[0].(map[string]any)["line"].(float64) != 2 || rej[2].(map[string]any)["line"].(float64) != 4 || rej[2].(map[string]any)["field"] != "labels" {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/signals/batch", e.keys["admin"], nd)
	if res := r.json(t); res["unchanged"].(float64) != 2 || res["created"].(float64) != 0 {
		t.Fatalf("batch re-run: %s", r.body)
	}
}

func jsonLine(m map[string]any) string {
	var b strings.Builder
	b.WriteString("{")
	first := true
	for k, v := range m {
		if !first {
			b.WriteString(",")
		}
		first = false
		fmt.Fprintf(&b, "%q:", k)
		switch x := v.(type) {
		case []string:
			b.WriteString(`["` + strings.Join(x, `","`) + `"]`)
		case int:
			fmt.Fprint(&b, x)
		default:
			fmt.Fprintf(&b, "%q", fmt.Sprint(x))
		}
	}
	b.WriteString("}")
	return b.String()
}

// TestMatchImage uploads Meta's test images: an edited copy of a shared
// image matches it, and with dihedral search so does a rotated copy.
func TestMatchImage(t *testing.T) {
	dir := pdqtest.Dir(t)
	e := newEnv(t, fast())
	orig, err := os.ReadFile(filepath.Join(dir, "dih", "bridge-1-original.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/api/v1/match/image", e.keys["admin"], orig)
	if r.status != 200 || len(r.json(t)["matches"].([]any)) != 0 {
		t.Fatalf("empty bank: %d %s", r.status, r.body)
	}
	hash := r.json(t)["pdq"].(string)
	q := int(r.json(t)["quality"].(float64))
	sub := map[string]any{"type": "pdq", "value": hash, "quality": q, "content_type": "photo", "labels": []string{"attack_content"}, "basis": "other", "basis_reason": "test"}
	if r := e.do("POST", "/api/v1/signals", e.keys["admin"], sub); r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	rotated, err := os.ReadFile(filepath.Join(dir, "dih", "bridge-2-rotate-90.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", "/api/v1/match/image", e.keys["startup"], rotated)
	plain := len(r.json(t)["matches"].([]any))
	r = e.do("POST", "/api/v1/match/image?dihedral=true", e.keys["startup"], rotated)
	ms := r.json(t)["matches"].([]any)
	if len(ms) != 1 || ms[0].(map[string]any)["distance"].(float64) > 31 {
		t.Fatalf("rotated image with dihedral search: %s (without: %d matches)", r.body, plain)
	}
	t.Logf("rotated copy: %d matches without dihedral search, distance %v with", plain, ms[0].(map[string]any)["distance"])
}
