package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
)

// caseOpener opens (or adds to) the review case of one content reference.
type caseOpener interface {
	openCase(ctx context.Context, in ksp.CaseInput) (created bool, err error)
}

// fileCaseError is a case that could not be opened for one file (the
// server refused this file's request): the file is reported and the scan
// goes on. Every other error stops the scan.
type fileCaseError struct{ err error }

func (e fileCaseError) Error() string { return e.err.Error() }
func (e fileCaseError) Unwrap() error { return e.err }

// localCases opens cases in the database, as the --org organisation.
type localCases struct {
	store ksp.CaseService
	actor *ksp.Actor
}

func (l *localCases) openCase(ctx context.Context, in ksp.CaseInput) (bool, error) {
	_, created, err := l.store.OpenCase(ksp.NewContext(ctx, l.actor), in)
	if ksp.ErrorCode(err) == ksp.EINVALID {
		return false, fileCaseError{fmt.Errorf("case not opened: %w", err)}
	}
	return created, err
}

// remoteCases opens cases through a server's POST /api/v1/cases, retrying
// as match requests do: 429 waits for Retry-After, server errors and
// network failures back off exponentially, then the scan stops.
type remoteCases struct {
	url    string
	key    string
	client *http.Client
	log    *slog.Logger
}

func (r *remoteCases) openCase(ctx context.Context, in ksp.CaseInput) (bool, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return false, fmt.Errorf("case request: %w", err)
	}
	return withRetries(ctx, r.log, "case request", retryUnit, func() (bool, time.Duration, error) {
		return r.try(ctx, body)
	})
}

// retryUnit is the first backoff after a failed case request; tests
// shorten it.
var retryUnit = time.Second

func (r *remoteCases) try(ctx context.Context, body []byte) (bool, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return false, 0, fmt.Errorf("case request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, 0, ctx.Err()
		}
		return false, 0, retryable{err: fmt.Errorf("cannot reach the server: %w", err)}
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	msg := apiMessage(data)
	switch code := res.StatusCode; {
	case code == http.StatusCreated:
		return true, 0, nil
	case code == http.StatusOK:
		return false, 0, nil
	case code == http.StatusUnauthorized:
		return false, 0, fmt.Errorf("the server refused the API key (401 unauthorized: %s): check --key or KSP_KEY", msg)
	case code == http.StatusForbidden:
		return false, 0, fmt.Errorf("the API key may not open cases (403 forbidden: %s): --cases needs a key with the submit scope of an analyst", msg)
	case code == http.StatusTooManyRequests:
		return false, retryAfter(res.Header.Get("Retry-After")), retryable{err: fmt.Errorf("rate limited by the server (429: %s)", msg), rateLimited: true}
	case code >= 500:
		return false, 0, retryable{err: fmt.Errorf("POST %s: %s: %s", r.url, res.Status, msg)}
	case code == http.StatusBadRequest:
		return false, 0, fileCaseError{fmt.Errorf("case not opened: %s", msg)}
	default:
		return false, 0, fmt.Errorf("POST %s: %s: %s", r.url, res.Status, msg)
	}
}

// readRefs reads a --refs file: one "path<TAB>reference" per line, the
// path as it lies under the scanned root (or as the scan names it), the
// reference the platform's own id or URL of that content. Blank lines and
// lines starting with # are skipped.
func readRefs(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, exitError{code: 2, msg: fmt.Sprintf("--refs: %v", err)}
	}
	defer f.Close()
	refs := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, ref, ok := strings.Cut(line, "\t")
		ref = strings.TrimSpace(ref)
		switch {
		case !ok || p == "":
			return nil, exitError{code: 2, msg: fmt.Sprintf("--refs %s: line %d: want path<TAB>reference", path, n)}
		case ref == "":
			return nil, exitError{code: 2, msg: fmt.Sprintf("--refs %s: line %d: empty reference", path, n)}
		case len(ref) > ksp.MaxContentRef:
			return nil, exitError{code: 2, msg: fmt.Sprintf("--refs %s: line %d: reference longer than %d bytes", path, n, ksp.MaxContentRef)}
		}
		refs[filepath.ToSlash(filepath.Clean(p))] = ref
	}
	if err := sc.Err(); err != nil {
		return nil, exitError{code: 2, msg: fmt.Sprintf("--refs %s: %v", path, err)}
	}
	return refs, nil
}

// contentRef is the case key of a scanned file: its --refs reference, else
// its path under the scanned root (slash-separated; the file's name when
// the root is the file itself). ok is false when --refs was given but
// names no reference for the file.
func (s *scanner) contentRef(it scanItem) (string, bool) {
	rel := filepath.Base(it.path)
	if it.root != it.path {
		if r, err := filepath.Rel(it.root, it.path); err == nil {
			rel = r
		}
	}
	rel = filepath.ToSlash(rel)
	if s.refs == nil {
		return rel, true
	}
	if ref, ok := s.refs[rel]; ok {
		return ref, true
	}
	ref, ok := s.refs[filepath.ToSlash(filepath.Clean(it.path))]
	return ref, ok
}

// openCase opens the case of a file with actionable matches. A failure
// that concerns only this file is reported and returns false (the file is
// then not recorded in the state file, so a rerun tries again); any other
// error stops the scan.
func (s *scanner) openCase(ctx context.Context, p *pendingFile) (bool, error) {
	in := ksp.CaseInput{}
	for _, h := range p.hits {
		if h.Actionable && len(in.Matches) < ksp.MaxCaseMatches {
			in.Matches = append(in.Matches, ksp.CaseMatchInput{SignalID: h.SignalID, Type: h.Type, Distance: h.Distance})
		}
	}
	if len(in.Matches) == 0 {
		return true, nil
	}
	ref, ok := s.contentRef(p.item)
	if !ok {
		s.fail(p.item.path, errors.New("no reference for this file in --refs: no case opened"))
		return false, nil
	}
	in.ContentRef = ref
	if p.image {
		in.ContentType = "photo"
	}
	created, err := s.cases.openCase(ctx, in)
	var fe fileCaseError
	switch {
	case errors.As(err, &fe):
		s.fail(p.item.path, fe)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("%s: open case: %w", p.item.path, err)
	case created:
		s.counts.casesOpened++
	default:
		s.counts.casesUpdated++
	}
	return true, nil
}
