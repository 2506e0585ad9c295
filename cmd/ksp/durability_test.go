//go:build unix

package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func init() {
	// locked prints "locked" when another process holds a lock on the
	// SQLite database file args[0], and "unlocked" otherwise.
	childModes["locked"] = func(args []string) error {
		locked, err := lockedByOther(args[0])
		if err != nil {
			return err
		}
		if locked {
			fmt.Println("locked")
		} else {
			fmt.Println("unlocked")
		}
		return nil
	}
}

// lockedByOther reports whether another process holds a lock on any of
// SQLite's lock bytes of the database file at path (its pending, reserved
// and shared bytes from 1 GiB on). A server with the database open holds
// a shared lock there for as long as its connections are open.
func lockedByOther(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 1 << 30, Len: 512}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false, fmt.Errorf("F_GETLK on %s: %w", path, err)
	}
	return lk.Type != syscall.F_UNLCK, nil
}

// serveChild is `ksp serve --demo` running in a process of its own.
type serveChild struct {
	cmd    *exec.Cmd
	addr   string
	keys   []string // the demo API keys, in printed order
	stderr *syncBuf
	done   chan error
}

// startServeChild runs `ksp serve --demo` on db in a child process and
// waits until it listens and reports ready. The process is killed when the
// test ends, if it is still running.
func startServeChild(t *testing.T, db string) *serveChild {
	t.Helper()
	cmd := child(t, "ksp", "serve", "--demo", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn",
		"--shared", filepath.Join(t.TempDir(), "none"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &serveChild{cmd: cmd, stderr: &syncBuf{}, done: make(chan error, 1)}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.done
	})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l := sc.Text()
			if m := keyLine.FindStringSubmatch(l); m != nil {
				c.keys = append(c.keys, m[1])
			}
			if a, ok := strings.CutPrefix(l, "listening on http://"); ok {
				listening <- a
			}
		}
		c.done <- cmd.Wait()
	}()
	select {
	case c.addr = <-listening:
	case err := <-c.done:
		c.done <- err
		t.Fatalf("serve exited before listening: %v\n%s", err, c.stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not start:\n%s", c.stderr.String())
	}
	deadline := time.Now().Add(time.Minute)
	for {
		code, body := c.readyz(t)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

func (c *serveChild) readyz(t *testing.T) (int, string) {
	t.Helper()
	res, err := http.Get("http://" + c.addr + "/readyz")
	if err != nil {
		t.Fatalf("readyz: %v", err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

// submit shares the SHA-256 of s and returns the hash it sent once the
// server has confirmed it with 201.
func (c *serveChild) submit(t *testing.T, key, s string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(s))
	value := hex.EncodeToString(sum[:])
	body, _ := json.Marshal(map[string]any{"type": "sha256", "value": value, "content_type": "photo", "labels": []string{"propaganda"},
		"basis": "branded_publication", "distribution": "members", "tlp": "GREEN"})
	req, _ := http.NewRequest("POST", "http://"+c.addr+"/api/v1/signals", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("submit %s: %v", s, err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	if res.StatusCode != 201 {
		t.Fatalf("submit %s: %d %s", s, res.StatusCode, b.String())
	}
	return value
}

// TestConfirmedWritesSurviveKill checks that a write the server answered
// 201 is on disk, even when another process has read the database file
// meanwhile and the server is then killed without a chance to close it.
//
// Another process that opens and closes the file deletes its write-ahead
// log if it finds no other process holding locks on it; the server's own
// connections still write into the deleted log, so what they write after
// that is lost with the process. The server must hold its locks for as
// long as it runs.
func TestConfirmedWritesSurviveKill(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ksp.db")
	srv := startServeChild(t, db)
	if len(srv.keys) < 2 {
		t.Fatalf("%d demo keys", len(srv.keys))
	}
	key := srv.keys[1] // the large platform's admin
	var confirmed []string
	for i := range 5 {
		confirmed = append(confirmed, srv.submit(t, key, fmt.Sprintf("before %d", i)))
	}

	// The server still holds its lock on the database file, so that
	// other programs know it is in use.
	if out, err := child(t, "locked", db).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "locked" {
		t.Errorf("lock probe: %v %s: the server holds no lock on the database file", err, out)
	}

	// A second process reads the database. sqlite3 3.40 (Debian 12)
	// checkpoints and deletes the write-ahead log on exit when it finds
	// the file unlocked; newer SQLite, such as the driver's, also looks
	// at the shared-memory index's locks first.
	reader := child(t, "sql", db, "SELECT count(*) FROM signals")
	if _, err := exec.LookPath("sqlite3"); err == nil {
		reader = exec.Command("sqlite3", db, "SELECT count(*) FROM signals")
	} else if os.Getenv("CI") == "true" {
		t.Fatal("sqlite3 is missing; .ci/run installs it with apt-get (sqlite3)")
	} else {
		t.Log("sqlite3 not found (apt-get install sqlite3; CI=true makes this a failure): the second process is the driver's")
	}
	out, err := reader.CombinedOutput()
	if err != nil {
		t.Fatalf("second process %v: %v\n%s", reader.Args, err, out)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err != nil || n < len(confirmed) {
		t.Fatalf("second process counted %q signals, want at least %d", out, len(confirmed))
	}
	if code, body := srv.readyz(t); code != 200 {
		t.Fatalf("readyz after another process read the database: %d %s", code, body)
	}

	for i := range 5 {
		confirmed = append(confirmed, srv.submit(t, key, fmt.Sprintf("after %d", i)))
	}
	if err := srv.kill(); err != nil {
		t.Fatal(err)
	}

	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for i, v := range confirmed {
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM signals WHERE type = 'sha256' AND value = ?`, v).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("confirmed write %d (%s) is gone after kill -9", i, v)
		}
	}
}

// kill sends SIGKILL, so the server closes nothing, and waits for the
// process to end.
func (c *serveChild) kill() error {
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill serve: %w", err)
	}
	err := <-c.done
	c.done <- err // for the cleanup
	return nil
}
