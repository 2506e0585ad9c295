package signalio

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// Spooled is an input that has been read to its end once and kept in a
// temporary file, to be read again for storing.
type Spooled struct {
	f *os.File
	// Next reads the records from the copy.
	Next Next
}

// Spool copies r to a temporary file while checking that it can be read
// to its end (Check), so that an input with a *ParseError anywhere is
// refused before any of it is stored, without holding it in memory. The
// caller must Close the result.
func Spool(r io.Reader, format string) (*Spooled, error) {
	f, err := os.CreateTemp("", "ksp-import-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spooled{f: f}
	w := bufio.NewWriterSize(f, 256<<10)
	next, err := Open(io.TeeReader(r, w), format)
	if err == nil {
		err = Check(next)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err == nil {
		s.Next, err = Open(bufio.NewReaderSize(f, 256<<10), format)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close removes the temporary copy.
func (s *Spooled) Close() error {
	s.f.Close()
	if err := os.Remove(s.f.Name()); err != nil {
		return fmt.Errorf("remove spool: %w", err)
	}
	return nil
}
