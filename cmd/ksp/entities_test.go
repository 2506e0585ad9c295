package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kspplatform/ksp/storetest"
)

// TestImportUNSC runs "ksp import unsc" over the two real snapshots: the
// counts line, idempotence, an older file refused without --force and
// accepted with it, a foreign file refused.
func TestImportUNSC(t *testing.T) {
	dir := t.TempDir()
	y2017 := filepath.Join(dir, "2017.xml")
	y2024 := filepath.Join(dir, "2024.xml")
	writeFile(t, y2017, storetest.UNSCSnapshot(t, "consolidated-2017-07-03.xml"))
	writeFile(t, y2024, storetest.UNSCSnapshot(t, "consolidated-2024-09-26.xml"))
	foreign := fileIn(t, dir, "feed.xml", `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>`)
	env := map[string]string{"KSP_DB": filepath.Join(dir, "ksp.db")}
	steps := []struct {
		name    string
		args    []string
		code    int
		out     string
		errWant string
	}{
		{"2017", []string{y2017}, 0, "added=1021 updated=0 delisted=0 unchanged=0\n", ""},
		{"2024", []string{y2024}, 0, "added=156 updated=566 delisted=302 unchanged=153\n", ""},
		{"2024 again", []string{y2024}, 0, "added=0 updated=0 delisted=0 unchanged=875\n", ""},
		{"2017 without --force", []string{y2017}, 1, "", "--force imports it anyway"},
		{"foreign file", []string{foreign}, 1, "", "not a UN Security Council consolidated list"},
		{"missing file", []string{filepath.Join(dir, "nope.xml")}, 1, "", "no such file"},
		{"no file", nil, 2, "", "name exactly one file"},
		{"2017 with --force", []string{"--force", y2017}, 0, "added=0 updated=868 delisted=156 unchanged=153\n", ""},
		{"json", []string{"--json", y2017}, 0, `{"added":0,"updated":0,"delisted":0,"unchanged":1021,"flagged":0}` + "\n", ""},
	}
	for _, s := range steps {
		code, out, errs := run(t, env, "", append([]string{"import", "unsc"}, s.args...)...)
		if code != s.code || out != s.out || (s.errWant != "" && !strings.Contains(errs, s.errWant)) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, stderr with %q", s.name, code, out, errs, s.code, s.out, s.errWant)
		}
		if s.code != 0 && !strings.Contains(errs, "nothing was imported") && s.code != 2 && !strings.Contains(errs, "no such file") {
			t.Errorf("%s: stderr %q does not say nothing was imported", s.name, errs)
		}
	}
}
