package markdown

import (
	"reflect"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	s := func(text string, old, new int) Line { return Line{Op: Same, Text: text, Old: old, New: new} }
	r := func(text string, old int) Line { return Line{Op: Removed, Text: text, Old: old} }
	a := func(text string, new int) Line { return Line{Op: Added, Text: text, New: new} }
	tests := []struct {
		name string
		a, b string
		want []Line
	}{
		{name: "both empty", a: "", b: "", want: []Line{}},
		{name: "all added", a: "", b: "x\ny\n", want: []Line{a("x", 1), a("y", 2)}},
		{name: "all removed", a: "x\ny", b: "", want: []Line{r("x", 1), r("y", 2)}},
		{name: "same", a: "x\ny\n", b: "x\ny", want: []Line{s("x", 1, 1), s("y", 2, 2)}},
		{name: "crlf is lf", a: "x\r\ny\r\n", b: "x\ny\n", want: []Line{s("x", 1, 1), s("y", 2, 2)}},
		{name: "changed middle line", a: "a\nb\nc", b: "a\nB\nc", want: []Line{s("a", 1, 1), r("b", 2), a("B", 2), s("c", 3, 3)}},
		{name: "insertion", a: "a\nc", b: "a\nb\nc", want: []Line{s("a", 1, 1), a("b", 2), s("c", 2, 3)}},
		{name: "deletion", a: "a\nb\nc", b: "a\nc", want: []Line{s("a", 1, 1), r("b", 2), s("c", 3, 2)}},
		{
			name: "longest common subsequence kept",
			a:    "a\nb\nc\nd\ne",
			b:    "x\nb\nd\ny\ne",
			want: []Line{r("a", 1), a("x", 1), s("b", 2, 2), r("c", 3), s("d", 4, 3), a("y", 4), s("e", 5, 5)},
		},
		{
			name: "moved line is removed and added",
			a:    "one\ntwo\nthree",
			b:    "two\nthree\none",
			want: []Line{r("one", 1), s("two", 2, 1), s("three", 3, 2), a("one", 3)},
		},
		{name: "blank lines count", a: "a\n\nb", b: "a\nb", want: []Line{s("a", 1, 1), r("", 2), s("b", 3, 2)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Diff(tc.a, tc.b)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Diff(%q, %q) =\n%v\nwant\n%v", tc.a, tc.b, got, tc.want)
			}
			checkDiff(t, tc.a, tc.b, got)
		})
	}
}

func TestDiffLarge(t *testing.T) {
	// A changed region too big for the LCS table falls back to removed
	// then added, and is still a correct diff; common ends stay Same.
	var a, b strings.Builder
	a.WriteString("head\n")
	b.WriteString("head\n")
	for i := range 2100 {
		a.WriteString("old " + strings.Repeat("x", i%7) + "\n")
		b.WriteString("new " + strings.Repeat("y", i%5) + "\n")
	}
	a.WriteString("tail\n")
	b.WriteString("tail\n")
	got := Diff(a.String(), b.String())
	checkDiff(t, a.String(), b.String(), got)
	if got[0] != (Line{Op: Same, Text: "head", Old: 1, New: 1}) || got[len(got)-1] != (Line{Op: Same, Text: "tail", Old: 2102, New: 2102}) {
		t.Errorf("ends = %v, %v", got[0], got[len(got)-1])
	}
	if got[1].Op != Removed || got[2100].Op != Removed || got[2101].Op != Added {
		t.Errorf("fallback order wrong: %v %v %v", got[1], got[2100], got[2101])
	}
}

func TestOpString(t *testing.T) {
	for op, want := range map[Op]string{Same: "same", Removed: "removed", Added: "added", Op(9): "unknown"} {
		if got := op.String(); got != want {
			t.Errorf("Op(%d).String() = %q, want %q", op, got, want)
		}
	}
}

// checkDiff checks that d is a diff of a and b: the Same and Removed lines
// are a's lines in order with their numbers, the Same and Added lines b's.
func checkDiff(t *testing.T, a, b string, d []Line) {
	t.Helper()
	var ga, gb []string
	for _, l := range d {
		if l.Op != Added {
			ga = append(ga, l.Text)
			if l.Old != len(ga) {
				t.Errorf("line %q: Old = %d, want %d", l.Text, l.Old, len(ga))
			}
		} else if l.Old != 0 {
			t.Errorf("added line %q has Old = %d", l.Text, l.Old)
		}
		if l.Op != Removed {
			gb = append(gb, l.Text)
			if l.New != len(gb) {
				t.Errorf("line %q: New = %d, want %d", l.Text, l.New, len(gb))
			}
		} else if l.New != 0 {
			t.Errorf("removed line %q has New = %d", l.Text, l.New)
		}
	}
	if wa := splitLines(a); !reflect.DeepEqual(ga, wa) {
		t.Errorf("old side = %q, want %q", ga, wa)
	}
	if wb := splitLines(b); !reflect.DeepEqual(gb, wb) {
		t.Errorf("new side = %q, want %q", gb, wb)
	}
}
