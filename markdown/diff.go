package markdown

import "strings"

// Op says what happened to a line between two revisions.
type Op int

// The operations of a line diff.
const (
	Same    Op = iota // in both revisions
	Removed           // only in the older revision
	Added             // only in the newer revision
)

// String returns "same", "removed" or "added".
func (o Op) String() string {
	switch o {
	case Same:
		return "same"
	case Removed:
		return "removed"
	case Added:
		return "added"
	}
	return "unknown"
}

// Line is one line of a diff: its text, what happened to it, and its
// 1-based line number in the older (Old) and newer (New) revision, 0 where
// it is absent.
type Line struct {
	Op   Op
	Text string
	Old  int
	New  int
}

// maxCells bounds the LCS table (4 bytes a cell, so 16 MiB). A changed
// region larger than this is shown as all its old lines removed, then all
// its new lines added: still a correct diff, only not a minimal one.
const maxCells = 1 << 22

// Diff compares two revisions line by line and returns every line of both
// in order: lines common to both (a longest common subsequence) as Same,
// the others as Removed (from a) or Added (from b), removals before
// additions within a change. "\r\n" counts as "\n", and a final newline
// does not make an empty last line.
func Diff(a, b string) []Line {
	la, lb := splitLines(a), splitLines(b)
	out := make([]Line, 0, max(len(la), len(lb)))

	// Common prefix and suffix need no table.
	pre := 0
	for pre < len(la) && pre < len(lb) && la[pre] == lb[pre] {
		pre++
	}
	suf := 0
	for suf < len(la)-pre && suf < len(lb)-pre && la[len(la)-1-suf] == lb[len(lb)-1-suf] {
		suf++
	}
	for i := range pre {
		out = append(out, Line{Op: Same, Text: la[i], Old: i + 1, New: i + 1})
	}
	out = diffMiddle(out, la[pre:len(la)-suf], lb[pre:len(lb)-suf], pre, pre)
	for k := suf; k > 0; k-- {
		i, j := len(la)-k, len(lb)-k
		out = append(out, Line{Op: Same, Text: la[i], Old: i + 1, New: j + 1})
	}
	return out
}

// diffMiddle appends the diff of a and b, which start after offA and offB
// lines of their revisions, to out.
func diffMiddle(out []Line, a, b []string, offA, offB int) []Line {
	n, m := len(a), len(b)
	removed := func(i int) Line { return Line{Op: Removed, Text: a[i], Old: offA + i + 1} }
	added := func(j int) Line { return Line{Op: Added, Text: b[j], New: offB + j + 1} }
	if n == 0 || m == 0 || (n+1)*(m+1) > maxCells {
		for i := range n {
			out = append(out, removed(i))
		}
		for j := range m {
			out = append(out, added(j))
		}
		return out
	}
	// lcs[i*(m+1)+j] is the length of a longest common subsequence of
	// a[i:] and b[j:].
	w := m + 1
	lcs := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, Line{Op: Same, Text: a[i], Old: offA + i + 1, New: offB + j + 1})
			i++
			j++
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, removed(i))
			i++
		default:
			out = append(out, added(j))
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, removed(i))
	}
	for ; j < m; j++ {
		out = append(out, added(j))
	}
	return out
}

// splitLines splits s into lines; "" has none.
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
