package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// scanBar is scan's progress bar on a terminal: files done of the total,
// the rate and the time left. Off a terminal it prints nothing, and the
// tree is not counted.
type scanBar struct {
	w     io.Writer
	tty   bool
	start time.Time
	last  time.Time
	total int
	n     int
	width int // of the last line drawn
}

// newScanBar counts the regular files under roots (when w is a terminal),
// walking as the scan will: symlinks inside directories are not followed.
func newScanBar(w io.Writer, roots []string) *scanBar {
	b := &scanBar{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.tty = true
		}
	}
	if !b.tty {
		return b
	}
	for _, root := range roots {
		st, err := os.Stat(root)
		switch {
		case err != nil:
		case !st.IsDir():
			b.total++
		default:
			filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					b.total++
				}
				return nil
			})
		}
	}
	return b
}

// scanBarLine draws the bar for n files of total after elapsed.
func scanBarLine(n, total int, elapsed time.Duration) string {
	rate := float64(n) / max(elapsed.Seconds(), 1e-3)
	if total <= 0 || n > total {
		return fmt.Sprintf("scanning: %d files (%.0f files/s)", n, rate)
	}
	const cells = 24
	done := cells * n / total
	bar := strings.Repeat("#", done) + strings.Repeat(".", cells-done)
	eta := "--"
	if rate > 0 && n > 0 {
		eta = (time.Duration(float64(total-n)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("scanning [%s] %d/%d files %3d%% %.0f files/s ETA %s", bar, n, total, 100*n/total, rate, eta)
}

func (b *scanBar) line(n int) {
	b.n = n
	if !b.tty || time.Since(b.last) < 200*time.Millisecond {
		return
	}
	b.last = time.Now()
	s := scanBarLine(n, b.total, time.Since(b.start))
	pad := max(b.width-len(s), 0)
	b.width = len(s)
	fmt.Fprintf(b.w, "\r%s%s", s, strings.Repeat(" ", pad))
}

// clear blanks the bar's line, so that a diagnostic written next starts at
// the left margin; the next update draws the bar again.
func (b *scanBar) clear() {
	if b.tty && !b.last.IsZero() {
		fmt.Fprintf(b.w, "\r%*s\r", b.width, "")
		b.last = time.Time{}
	}
}

func (b *scanBar) done() {
	if b.tty {
		b.clear()
		fmt.Fprintf(b.w, "scanned %d files in %.1fs\n", b.n, time.Since(b.start).Seconds())
	}
}
