package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/kspplatform/ksp/postgres/pgtest"
)

// TestServeDemoPostgres runs `serve --demo --db postgres://…` as the SQLite
// default runs: the same key lines, a working API, and a second start that
// revokes the first start's keys.
func TestServeDemoPostgres(t *testing.T) {
	db := pgtest.Schema(t)
	keys := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if m := keyLine.FindStringSubmatch(l); m != nil {
				out = append(out, m[1])
			}
		}
		return out
	}
	lines, addr, stop := startDemo(t, db)
	first := keys(lines)
	if len(first) != 6 {
		t.Fatalf("%d demo key lines, want 6:\n%v", len(first), lines)
	}
	get := func(addr, key, path string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	code, me := get(addr, first[1], "/api/v1/me")
	if org, _ := me["org"].(map[string]any); code != 200 || org["name"] != "Vidstream" {
		t.Fatalf("me: %d %v", code, me)
	}
	code, list := get(addr, first[1], "/api/v1/signals")
	if items, ok := list["items"].([]any); code != 200 || !ok || len(items) == 0 {
		t.Fatalf("signals: %d %v", code, list)
	}
	stop()

	lines2, addr2, stop2 := startDemo(t, db)
	defer stop2()
	second := keys(lines2)
	if len(second) != 6 {
		t.Fatalf("second start: %d demo key lines, want 6", len(second))
	}
	if code, _ := get(addr2, first[1], "/api/v1/me"); code != 401 {
		t.Fatalf("old demo key still works after restart: %d", code)
	}
	if code, me := get(addr2, second[1], "/api/v1/me"); code != 200 {
		t.Fatalf("new key after restart: %d %v", code, me)
	}
	if code, list := get(addr2, second[0], "/api/v1/signals"); code != 200 || len(list["items"].([]any)) == 0 {
		t.Fatalf("signals after restart: %d %v", code, list)
	}
}
