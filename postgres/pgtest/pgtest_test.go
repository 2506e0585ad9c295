package pgtest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// outcome records how Schema ended a test, standing in for the test
// Schema is given so that its skip or failure can be observed.
type outcome struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (o *outcome) Helper() {}

func (o *outcome) end(skip bool, msg string) {
	o.skipped, o.failed, o.msg = skip, !skip, msg
	runtime.Goexit()
}

func (o *outcome) Skip(args ...any)                 { o.end(true, fmt.Sprint(args...)) }
func (o *outcome) Skipf(format string, args ...any) { o.end(true, fmt.Sprintf(format, args...)) }
func (o *outcome) SkipNow()                         { o.end(true, "") }
func (o *outcome) Fatal(args ...any)                { o.end(false, fmt.Sprint(args...)) }
func (o *outcome) Fatalf(format string, args ...any) {
	o.end(false, fmt.Sprintf(format, args...))
}
func (o *outcome) FailNow() { o.end(false, "") }

// TestSchemaWithoutServer checks that a missing or silent PostgreSQL
// skips the tests only outside CI, and always with a message saying what
// to set.
func TestSchemaWithoutServer(t *testing.T) {
	const silent = "postgres://postgres@127.0.0.1:1/none?sslmode=disable"
	tests := []struct {
		name, url, ci string
		skip          bool
		msg           string
	}{
		{"unset outside CI", "", "", true, "set KSP_TEST_POSTGRES="},
		{"unset under CI", "", "true", false, "KSP_TEST_POSTGRES is unset and CI=true requires them"},
		{"no answer outside CI", silent, "", false, "does not answer"},
		{"no answer under CI", silent, "true", false, "does not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KSP_TEST_POSTGRES", tt.url)
			t.Setenv("CI", tt.ci)
			o := &outcome{TB: t}
			done := make(chan string)
			go func() {
				var url string
				defer func() { done <- url }()
				url = Schema(o)
			}()
			if url := <-done; url != "" {
				t.Fatalf("Schema returned %q", url)
			}
			if o.skipped != tt.skip || o.failed == tt.skip || !strings.Contains(o.msg, tt.msg) {
				t.Fatalf("skipped=%v failed=%v %q; want skipped=%v with %q", o.skipped, o.failed, o.msg, tt.skip, tt.msg)
			}
		})
	}
}
