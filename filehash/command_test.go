package filehash

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kspplatform/ksp/pdq"
)

// writeFiles writes a few images and a text file, returning their paths.
func writeFiles(t *testing.T) (paths []string, text string) {
	t.Helper()
	dir := t.TempDir()
	for i, e := range syntheticImages(t, 90, 70) {
		p := filepath.Join(dir, e.name+"."+e.format)
		if err := os.WriteFile(p, e.data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		if i == 3 {
			text = filepath.Join(dir, "notes.txt")
			if err := os.WriteFile(text, []byte("not an image\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, text)
		}
	}
	return paths, text
}

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Command(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestCommandTSV(t *testing.T) {
	paths, text := writeFiles(t)
	missing := filepath.Join(filepath.Dir(text), "missing.jpg")
	args := append([]string{}, paths[:2]...)
	args = append(args, missing)
	args = append(args, paths[2:]...)
	code, out, errOut := run(args...)
	if code != 1 {
		t.Errorf("exit %d, want 1 (a file is missing)", code)
	}
	if want := "ksp hash: " + missing + ": no such file or directory\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(paths) {
		t.Fatalf("%d lines for %d readable files:\n%s", len(lines), len(paths), out)
	}
	for i, line := range lines {
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			t.Fatalf("line %d has %d fields: %q", i, len(f), line)
		}
		if f[4] != paths[i] {
			t.Errorf("line %d is for %s, want %s (argument order)", i, f[4], paths[i])
		}
		res, err := HashFile(paths[i], Options{})
		if err != nil {
			t.Fatal(err)
		}
		if f[2] != res.MD5 || f[3] != res.SHA256 {
			t.Errorf("line %d: digests differ from HashFile", i)
		}
		if paths[i] == text {
			if f[0] != "" || f[1] != "" {
				t.Errorf("non-image line has PDQ fields: %q", line)
			}
			continue
		}
		if _, err := pdq.ParseHash(f[0]); err != nil || f[0] != res.PDQ.String() {
			t.Errorf("line %d: pdq %q (%v), want %s", i, f[0], err, res.PDQ)
		}
		if f[1] == "" {
			t.Errorf("line %d: empty quality", i)
		}
	}
}

func TestCommandJSON(t *testing.T) {
	paths, text := writeFiles(t)
	code, out, errOut := run(append([]string{"--json", "--full-resolution", "--max-pixels", "1000000"}, paths...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(paths) {
		t.Fatalf("%d lines for %d files", len(lines), len(paths))
	}
	for i, line := range lines {
		var v struct {
			File    string  `json:"file"`
			PDQ     *string `json:"pdq"`
			Quality *int    `json:"quality"`
			MD5     string  `json:"md5"`
			SHA256  string  `json:"sha256"`
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		if v.File != paths[i] || len(v.MD5) != 32 || len(v.SHA256) != 64 {
			t.Errorf("line %d: %+v", i, v)
		}
		if (v.PDQ == nil) != (paths[i] == text) || (v.Quality == nil) != (paths[i] == text) {
			t.Errorf("line %d: pdq/quality presence wrong: %s", i, line)
		}
	}
}

func TestCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring
		stderr     string // substring
		emptyOther bool
	}{
		{"help", []string{"--help"}, 0, "usage: ksp hash", "", true},
		{"h", []string{"-h"}, 0, "--max-pixels", "", true},
		{"no files", nil, 2, "", "no files", false},
		{"bad flag", []string{"--nope", "x"}, 2, "", "flag provided but not defined", false},
		{"bad max-pixels", []string{"--max-pixels", "abc", "x"}, 2, "", "invalid value", false},
		{"zero max-pixels", []string{"--max-pixels", "0", "x"}, 2, "", "must be positive", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if tc.emptyOther && errOut != "" {
				t.Errorf("stderr not empty: %q", errOut)
			}
			if tc.code == 2 && out != "" {
				t.Errorf("usage error wrote to stdout: %q", out)
			}
		})
	}
}

func TestCommandPixelBudget(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.png")
	if err := os.WriteFile(big, pngHeader(5000, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	paths, _ := writeFiles(t)
	code, out, errOut := run("--max-pixels", "1000000", big, paths[0])
	if code != 1 || !strings.Contains(errOut, "big.png: image exceeds the pixel budget: 5000x5000") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, paths[0]+"\n") {
		t.Errorf("stdout %q", out)
	}
}

func TestCommandCorruptWarning(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "broken.png")
	if err := os.WriteFile(p, []byte("\x89PNG\r\n\x1a\nnope"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(p)
	if code != 0 || !strings.HasPrefix(out, "\t\t") || !strings.Contains(errOut, "warning: not hashed as an image") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestCommandCancelled(t *testing.T) {
	paths, _ := writeFiles(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	if code := Command(ctx, paths, &o, &e); code != 1 || !strings.Contains(e.String(), "canceled") {
		t.Errorf("exit %d, stderr %q", code, e.String())
	}
}
