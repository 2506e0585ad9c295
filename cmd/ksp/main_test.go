package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"

	_ "modernc.org/sqlite"
)

// childEnv names the mode a re-executed test binary runs in instead of the
// tests (see child): "ksp" runs the ksp program on the remaining
// arguments; the other modes are in childModes.
const childEnv = "KSP_TEST_CHILD"

// childModes are helper programs a test runs as a second process, by
// name, on the remaining arguments.
var childModes = map[string]func(args []string) error{
	// sql opens the SQLite file args[0] with the driver's defaults, runs
	// args[1], prints the first column of its first row and closes the
	// file again, as another program reading the database would.
	"sql": func(args []string) error { return querySQLite(args[0], args[1]) },
}

func TestMain(m *testing.M) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		os.Exit(m.Run())
	}
	if mode == "ksp" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := NewMain().Run(ctx, os.Args[1:])
		stop()
		os.Exit(code)
	}
	fn, ok := childModes[mode]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown %s mode %q\n", childEnv, mode)
		os.Exit(2)
	}
	if err := fn(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// querySQLite opens path, runs q, prints the first column of its first
// row and closes the database again.
func querySQLite(path, q string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	var v any
	if err := db.QueryRow(q).Scan(&v); err != nil {
		db.Close()
		return fmt.Errorf("%s in %s: %w", q, path, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	fmt.Printf("%v\n", v)
	return nil
}

// child returns a command that re-executes this test binary in mode (see
// childEnv) with args.
func child(t *testing.T, mode string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	return cmd
}
