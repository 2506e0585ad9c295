package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/filehash"
	"github.com/kspplatform/ksp/httpapi"
)

const scanSynopsis = `scan [--server URL --key KEY | --db DB [--org ID]] [--threshold 31] [--dihedral] [--state FILE] [--cases [--refs FILE.tsv]] [--json] PATH...

Hashes every regular file under the paths (directories recursively, in name
order; symlinks inside directories are skipped) on all cores: MD5 and SHA-256 of
every file, and PDQ of images. Matches the hashes against the hash bank,
through a server's POST /api/v1/match (--server, --key) or in memory from the
database (--db, acting as --org), and prints one line per file and signal
matched, in walk order:

  file<TAB>type<TAB>signal_id<TAB>distance<TAB>labels<TAB>actionable

labels comma-separated, actionable true or false. A file matching one signal
through several hashes gets one line, at the smallest distance. A path with a
tab or line break in it is printed Go-quoted. With --json, one object per
line: {"file","type","signal_id","distance","labels","actionable",
"not_actionable"}.

stderr gets a progress bar on a terminal, "file: reason" for each file that
could not be read or hashed, and a summary line. With --state FILE, each
finished file (path, size, modification time, matches) is appended to FILE;
a rerun with the same FILE skips unchanged files and prints their recorded
matches.

With --dihedral, images are also matched by the hashes of their 7 rotations
and mirrors (decoded at full size: slower). With --cases, every file with an
actionable match opens a review case on the server (or in the database, for
--org), keyed by the file's path under the scanned root or by the platform's
own reference from --refs FILE.tsv (lines "path<TAB>reference"); a rerun adds
to the open cases and creates no duplicates. Only hashes and references leave
the machine, never the content. The key needs the match and submit scopes.

A server that does not answer is retried with backoff; then the scan stops
with an error, and with --state the finished files are recorded so that a
rerun resumes where it stopped. Exit status: 0 when every file was scanned,
1 when a file could not be read or hashed, matching failed or the scan was
interrupted, 2 for usage errors.`

// maxBatchQueries is how many match queries go to the matcher at once: the
// API's limit per request. Tests lower it to exercise batching.
var maxBatchQueries = ksp.MaxMatchQueries

// batchAge is how long hashed files wait for more to share a match request
// before they are matched anyway.
const batchAge = time.Second

// scanHit is one signal a file matched, as printed and as recorded in a
// state file.
type scanHit struct {
	Type          string   `json:"type"`
	SignalID      string   `json:"signal_id"`
	Distance      int      `json:"distance"`
	Labels        []string `json:"labels"`
	Actionable    bool     `json:"actionable"`
	NotActionable string   `json:"not_actionable,omitempty"`
}

// scanLine is one line of `ksp scan --json`.
type scanLine struct {
	File string `json:"file"`
	scanHit
}

// matcher answers one batch of match queries, results in query order.
type matcher interface {
	match(ctx context.Context, queries []ksp.MatchQuery) ([]ksp.MatchResult, error)
}

// scanItem is one entry of the walk: a regular file to hash, a file whose
// recorded result is reused, or a path that could not be walked.
type scanItem struct {
	path    string
	root    string // the scan argument the file was found under
	size    int64
	mtime   int64 // modification time, Unix nanoseconds
	err     error
	resumed *stateRecord
}

// pendingFile is a file waiting in a batch for its matches.
type pendingFile struct {
	item    scanItem
	queries []ksp.MatchQuery
	hits    []scanHit
	image   bool
}

// scanCounts are the summary's figures.
type scanCounts struct {
	files, hashed, resumed, matchedFiles, matches, errors int
	casesOpened, casesUpdated                             int
}

func (m *Main) scan(ctx context.Context, args []string) error {
	var c common
	fset := m.flags("scan", scanSynopsis, &c)
	server := fset.String("server", "", "match through the KSP server at `URL` (env KSP_SERVER); opens no database")
	key := fset.String("key", "", "API `KEY` with the match scope, for --server (env KSP_KEY)")
	org := fset.String("org", "", "with --db: match as this organisation `ID` (default: the staff org)")
	threshold := fset.Int("threshold", ksp.DefaultThreshold, "largest PDQ Hamming distance that matches, 0 to 64")
	statePath := fset.String("state", "", "record finished files in `FILE` and skip unchanged ones recorded there (resume)")
	asJSON := fset.Bool("json", false, "print one JSON object per match")
	timeout := fset.Duration("timeout", time.Minute, "with --server: time limit of one match request")
	dihedral := fset.Bool("dihedral", false, "also match rotated and mirrored copies of images")
	withCases := fset.Bool("cases", false, "open a review case for every file with an actionable match")
	refsPath := fset.String("refs", "", "with --cases: `FILE.tsv` of path<TAB>reference lines naming each file's content by the platform's own id or URL")
	if err := m.parse(fset, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *threshold < 0 || *threshold > ksp.MaxThreshold {
		return exitError{code: 2, msg: fmt.Sprintf("--threshold %d: must be from 0 to %d", *threshold, ksp.MaxThreshold)}
	}
	if *server == "" && !set["db"] {
		*server = m.Getenv("KSP_SERVER")
	}
	if *key == "" {
		*key = m.Getenv("KSP_KEY")
	}
	switch {
	case set["server"] && set["db"]:
		return exitError{code: 2, msg: "--server and --db exclude each other: match through a server or from a database"}
	case *server != "" && set["org"]:
		return exitError{code: 2, msg: "--org applies to --db; with --server the key's organisation matches"}
	case *server != "" && *key == "":
		return exitError{code: 2, msg: "--server needs --key (or KSP_KEY): an API key with the match scope"}
	case *server == "" && set["key"]:
		return exitError{code: 2, msg: "--key applies to --server"}
	case *timeout <= 0:
		return exitError{code: 2, msg: "--timeout must be positive"}
	case fset.NArg() == 0:
		return exitError{code: 2, msg: "name at least one file or directory to scan"}
	case *refsPath != "" && !*withCases:
		return exitError{code: 2, msg: "--refs applies to --cases"}
	case *withCases && *server == "" && orDefault(*org, ksp.StaffOrgID) == ksp.StaffOrgID:
		return exitError{code: 2, msg: "--cases with --db needs --org: cases belong to the member organisation whose content is scanned"}
	}
	var refs map[string]string
	if *refsPath != "" {
		var err error
		if refs, err = readRefs(*refsPath); err != nil {
			return err
		}
	}
	var matchURL string
	if *server != "" {
		u, err := url.Parse(*server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return exitError{code: 2, msg: fmt.Sprintf("--server %q: want an http:// or https:// URL", *server)}
		}
		matchURL = strings.TrimSuffix(u.String(), "/") + "/api/v1/match"
	}
	log, err := m.logger(&c)
	if err != nil {
		return err
	}

	// The state file is checked before the database is opened or the bank
	// loaded: a wrong file is a quick usage error.
	source := "server " + strings.TrimSuffix(*server, "/")
	if *server == "" {
		source = "db " + redactDSN(c.db) + " org " + orDefault(*org, ksp.StaffOrgID)
	}
	var state *scanState
	if *statePath != "" {
		state, err = openState(*statePath, stateHeader{Version: 1, Threshold: *threshold, Source: source, Dihedral: *dihedral, Cases: *withCases}, log)
		if err != nil {
			return err
		}
		defer state.close()
	}

	var mt matcher
	var flush func()
	var cases caseOpener
	if *server != "" {
		mt = &remoteMatcher{url: matchURL, key: *key, threshold: *threshold, client: &http.Client{Timeout: *timeout}, log: log}
		if *withCases {
			cases = &remoteCases{url: strings.TrimSuffix(matchURL, "/match") + "/cases", key: *key, client: &http.Client{Timeout: *timeout}, log: log}
		}
	} else {
		db, err := openStore(ctx, c.db, log)
		if err != nil {
			return err
		}
		defer db.Close()
		a, err := orgActor(ctx, db, *org)
		if err != nil {
			return err
		}
		b := bank.New(db, log)
		if err := b.Load(ctx); err != nil {
			return fmt.Errorf("load the hash bank: %w", err)
		}
		mt = &localMatcher{bank: b, actor: a, threshold: *threshold}
		if *withCases {
			cases = &localCases{store: db, actor: a}
		}
		flush = func() { b.FlushCounts(context.WithoutCancel(ctx)) }
	}

	s := &scanner{
		out:      bufio.NewWriter(m.Stdout),
		stderr:   m.Stderr,
		json:     *asJSON,
		matcher:  mt,
		state:    state,
		log:      log,
		progress: newScanBar(m.Stderr, fset.Args()),
		opts:     filehash.Options{Dihedral: *dihedral},
		cases:    cases,
		refs:     refs,
	}
	if state != nil {
		if st, err := state.f.Stat(); err == nil {
			s.skip = st
		}
	}
	err = s.run(ctx, fset.Args())
	if flush != nil {
		flush()
	}
	if state != nil {
		if cerr := state.close(); err == nil {
			err = cerr
		}
	}
	s.progress.done()
	n := s.counts
	fmt.Fprintf(m.Stderr, "files=%d hashed=%d resumed=%d matched_files=%d matches=%d errors=%d\n",
		n.files, n.hashed, n.resumed, n.matchedFiles, n.matches, n.errors)
	if cases != nil {
		fmt.Fprintf(m.Stderr, "cases opened=%d updated=%d\n", n.casesOpened, n.casesUpdated)
	}
	switch {
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		msg := "interrupted"
		if state != nil {
			msg += fmt.Sprintf("; finished files are recorded in %s: rerun with --state %s to resume", *statePath, *statePath)
		}
		return exitError{code: 1, msg: msg}
	case err != nil && state != nil:
		return fmt.Errorf("%w\nthe scan stopped; finished files are recorded in %s: rerun with --state %s to resume", err, *statePath, *statePath)
	case err != nil:
		return fmt.Errorf("%w\nthe scan stopped; rerun with --state FILE to make a scan resumable", err)
	case n.errors > 0:
		return exitError{code: 1}
	}
	return nil
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// scanner is one run of `ksp scan`: it walks, hashes through
// filehash.Ordered, batches the queries of consecutive files, and prints
// each file's matches in walk order once its batch is matched.
type scanner struct {
	out    *bufio.Writer
	stderr io.Writer
	// skip is the state file, when it lies under a path being scanned.
	skip     fs.FileInfo
	json     bool
	matcher  matcher
	state    *scanState
	log      *slog.Logger
	progress *scanBar
	opts     filehash.Options
	cases    caseOpener
	refs     map[string]string

	batch   []pendingFile
	queries int       // in batch
	since   time.Time // when the batch's first hashed file arrived
	counts  scanCounts
}

func (s *scanner) run(ctx context.Context, roots []string) error {
	path := func(it scanItem) string {
		if it.err != nil || it.resumed != nil {
			return ""
		}
		return it.path
	}
	err := filehash.Ordered(ctx, s.walk(roots), path, s.opts, func(d filehash.Done[scanItem]) error {
		return s.add(ctx, d)
	})
	if err == nil {
		err = s.flush(ctx)
	}
	if werr := s.out.Flush(); werr != nil && err == nil {
		err = fmt.Errorf("write: %w", werr)
	}
	return err
}

// walk yields the regular files under roots in a deterministic order:
// roots as given, directory entries by name. A root that is a symlink is
// followed; symlinks met inside directories are skipped.
func (s *scanner) walk(roots []string) iter.Seq[scanItem] {
	return func(yield func(scanItem) bool) {
		for _, root := range roots {
			st, err := os.Stat(root)
			switch {
			case err != nil:
				if !yield(scanItem{path: root, root: root, err: err}) {
					return
				}
			case st.IsDir():
				if !s.walkDir(root, root, yield) {
					return
				}
			case !st.Mode().IsRegular():
				if !yield(scanItem{path: root, root: root, err: errors.New("not a regular file")}) {
					return
				}
			case s.skip != nil && os.SameFile(st, s.skip):
				s.log.Debug("skipping the state file", "path", root)
			default:
				if !yield(s.fileItem(root, root, st)) {
					return
				}
			}
		}
	}
}

func (s *scanner) walkDir(root, dir string, yield func(scanItem) bool) bool {
	// ReadDir sorts by name; on an error it returns what it could read.
	entries, err := os.ReadDir(dir)
	if err != nil && !yield(scanItem{path: dir, root: root, err: err}) {
		return false
	}
	for _, e := range entries {
		p := dir + string(os.PathSeparator) + e.Name()
		if strings.HasSuffix(dir, string(os.PathSeparator)) {
			p = dir + e.Name()
		}
		t := e.Type()
		switch {
		case t.IsDir():
			if !s.walkDir(root, p, yield) {
				return false
			}
			continue
		case t&fs.ModeSymlink != 0:
			// Not followed: a link to a directory could loop, and a link
			// to a file could lead outside the tree being scanned.
			s.log.Debug("skipping a symlink", "path", p)
			continue
		case !t.IsRegular():
			s.log.Debug("skipping a file that is not regular", "path", p, "mode", t.String())
			continue
		}
		st, err := e.Info()
		if err != nil {
			if !yield(scanItem{path: p, root: root, err: err}) {
				return false
			}
			continue
		}
		if s.skip != nil && os.SameFile(st, s.skip) {
			s.log.Debug("skipping the state file", "path", p)
			continue
		}
		if !yield(s.fileItem(root, p, st)) {
			return false
		}
	}
	return true
}

// fileItem describes a regular file, reusing its recorded result when the
// state holds one for the same path, size and modification time.
func (s *scanner) fileItem(root, path string, st fs.FileInfo) scanItem {
	it := scanItem{path: path, root: root, size: st.Size(), mtime: st.ModTime().UnixNano()}
	if s.state != nil {
		if r, ok := s.state.done[path]; ok && r.Size == it.size && r.MTime == it.mtime {
			it.resumed = &r
		}
	}
	return it
}

// add takes the next file in walk order: reports it if it failed, or
// queues it for matching, matching the batch when it is full or old.
func (s *scanner) add(ctx context.Context, d filehash.Done[scanItem]) error {
	it := d.Item
	if it.err == nil {
		s.counts.files++
	}
	s.progress.line(s.counts.files)
	p := pendingFile{item: it}
	switch {
	case it.err != nil:
		s.fail(it.path, it.err)
		return nil
	case it.resumed != nil:
		s.counts.resumed++
		p.hits = it.resumed.Matches
	case d.Err != nil && errors.Is(d.Err, filehash.ErrTooManyPixels):
		// The file was read: its exact hashes still match, but it is not
		// fully scanned, so it counts as an error and is not recorded.
		s.fail(it.path, fmt.Errorf("%w; matched by MD5 and SHA-256 only", d.Err))
		p.item.err = d.Err
		p.queries, _ = bank.ImageQueries(filehash.Result{MD5: d.Result.MD5, SHA256: d.Result.SHA256})
	case d.Err != nil:
		s.fail(it.path, d.Err)
		return nil
	default:
		s.counts.hashed++
		p.image = d.Result.IsImage
		if d.Result.ImageError != nil {
			s.progress.clear()
			fmt.Fprintf(s.stderr, "%s: warning: not hashed as an image: %v\n", it.path, d.Result.ImageError)
		}
		var skipped bool
		p.queries, skipped = bank.ImageQueries(d.Result)
		if skipped && d.Result.IsImage {
			s.log.Debug("PDQ quality too low to match perceptually", "file", it.path, "quality", d.Result.Quality)
		}
	}
	if s.queries+len(p.queries) > maxBatchQueries {
		if err := s.flush(ctx); err != nil {
			return err
		}
	}
	if len(p.queries) > 0 && s.queries == 0 {
		s.since = time.Now()
	}
	s.batch = append(s.batch, p)
	s.queries += len(p.queries)
	if s.queries == 0 || s.queries >= maxBatchQueries || time.Since(s.since) >= batchAge {
		return s.flush(ctx)
	}
	return nil
}

// fail reports a file that could not be scanned.
func (s *scanner) fail(path string, err error) {
	s.counts.errors++
	s.progress.clear()
	fmt.Fprintf(s.stderr, "%s: %s\n", path, reason(err))
}

// reason is err without the path an *fs.PathError repeats.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// flush matches the batch, prints its files' matches in order and records
// them in the state file.
func (s *scanner) flush(ctx context.Context) error {
	if len(s.batch) == 0 {
		return nil
	}
	if s.queries > 0 {
		queries := make([]ksp.MatchQuery, 0, s.queries)
		for _, p := range s.batch {
			queries = append(queries, p.queries...)
		}
		results, err := s.matcher.match(ctx, queries)
		if err != nil {
			return err
		}
		if len(results) != len(queries) {
			return fmt.Errorf("match: %d results for %d queries", len(results), len(queries))
		}
		for i := range s.batch {
			p := &s.batch[i]
			if p.item.resumed != nil {
				continue // recorded matches
			}
			n := len(p.queries)
			p.hits = make([]scanHit, 0)
			for _, h := range bank.Merge(results[:n]) {
				p.hits = append(p.hits, scanHit{Type: h.Type, SignalID: h.SignalID, Distance: h.Distance, Labels: h.Labels,
					Actionable: h.Actionable, NotActionable: h.NotActionable})
			}
			results = results[n:]
		}
	}
	for _, p := range s.batch {
		if s.cases != nil && p.item.resumed == nil && p.item.err == nil {
			ok, err := s.openCase(ctx, &p)
			if err != nil {
				return err
			}
			if !ok {
				p.item.err = errors.New("case not opened") // not recorded: a rerun tries again
			}
		}
		if err := s.print(p); err != nil {
			return err
		}
		if s.state != nil && p.item.resumed == nil && p.item.err == nil {
			if err := s.state.add(stateRecord{Path: p.item.path, Size: p.item.size, MTime: p.item.mtime, Matches: p.hits}); err != nil {
				return err
			}
		}
	}
	s.batch, s.queries = s.batch[:0], 0
	if err := s.out.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if s.state != nil {
		return s.state.flush()
	}
	return nil
}

// print writes a file's match lines.
func (s *scanner) print(p pendingFile) error {
	if len(p.hits) > 0 {
		s.counts.matchedFiles++
		s.counts.matches += len(p.hits)
	}
	for _, h := range p.hits {
		if h.Labels == nil {
			h.Labels = []string{}
		}
		if s.json {
			b, err := json.Marshal(scanLine{File: p.item.path, scanHit: h})
			if err != nil {
				return fmt.Errorf("%s: %w", p.item.path, err)
			}
			s.out.Write(b)
			s.out.WriteByte('\n')
			continue
		}
		file := p.item.path
		if strings.ContainsAny(file, "\t\n\r") {
			file = strconv.Quote(file)
		}
		fmt.Fprintf(s.out, "%s\t%s\t%s\t%d\t%s\t%t\n", file, h.Type, h.SignalID, h.Distance, strings.Join(h.Labels, ","), h.Actionable)
	}
	return nil
}

// localMatcher matches from the bank in memory, as one organisation.
type localMatcher struct {
	bank      *bank.Bank
	actor     *ksp.Actor
	threshold int
}

func (l *localMatcher) match(ctx context.Context, queries []ksp.MatchQuery) ([]ksp.MatchResult, error) {
	res, err := l.bank.Match(ksp.NewContext(ctx, l.actor), queries, l.threshold)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	return res, nil
}

// remoteMatcher matches through a server's POST /api/v1/match.
type remoteMatcher struct {
	url       string
	key       string
	threshold int
	client    *http.Client
	log       *slog.Logger
}

// Retries of one match request: rate limiting (429) honours Retry-After;
// server errors (5xx) and network failures back off exponentially.
const (
	maxRateLimitWaits = 8
	maxFailureRetries = 3
	maxRetryWait      = 5 * time.Minute
)

func (r *remoteMatcher) match(ctx context.Context, queries []ksp.MatchQuery) ([]ksp.MatchResult, error) {
	th := r.threshold
	body, err := json.Marshal(ksp.MatchRequest{Queries: queries, Threshold: &th})
	if err != nil {
		return nil, fmt.Errorf("match request: %w", err)
	}
	return withRetries(ctx, r.log, "match request", time.Second, func() ([]ksp.MatchResult, time.Duration, error) {
		return r.try(ctx, body)
	})
}

// withRetries calls try until it succeeds or fails for good. A retryable
// rate-limit failure waits as long as try says (the server's Retry-After),
// up to maxRateLimitWaits times; other retryable failures back off
// exponentially from unit, up to maxFailureRetries times; anything else
// ends at once. what names the request in the log.
func withRetries[T any](ctx context.Context, log *slog.Logger, what string, unit time.Duration, try func() (T, time.Duration, error)) (T, error) {
	var zero T
	limited, failed := 0, 0
	for {
		res, wait, err := try()
		if err == nil {
			return res, nil
		}
		var re retryable
		if !errors.As(err, &re) {
			return zero, err
		}
		if re.rateLimited {
			if limited++; limited > maxRateLimitWaits {
				return zero, fmt.Errorf("%w (still rate limited after %d waits)", err, maxRateLimitWaits)
			}
		} else {
			if failed++; failed > maxFailureRetries {
				return zero, fmt.Errorf("%w (after %d retries)", err, maxFailureRetries)
			}
			wait = time.Duration(1<<(failed-1)) * unit
		}
		log.Warn(what+" failed; retrying", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, ctx.Err()
		case <-t.C:
		}
	}
}

// retryable marks a failure worth another attempt.
type retryable struct {
	err         error
	rateLimited bool
}

func (e retryable) Error() string { return e.err.Error() }
func (e retryable) Unwrap() error { return e.err }

// try sends one match request. A 429 comes back as retryable with the wait
// the server asked for.
func (r *remoteMatcher) try(ctx context.Context, body []byte) ([]ksp.MatchResult, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("match request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, retryable{err: fmt.Errorf("cannot reach the server: %w", err)}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return nil, 0, retryable{err: fmt.Errorf("POST %s: reading the response: %w", r.url, err)}
	}
	if res.StatusCode == http.StatusOK {
		var mb httpapi.MatchBody
		if err := json.Unmarshal(data, &mb); err != nil {
			return nil, 0, fmt.Errorf("POST %s: unreadable response: %w", r.url, err)
		}
		return mb.Results, 0, nil
	}
	msg := apiMessage(data)
	switch code := res.StatusCode; {
	case code == http.StatusUnauthorized:
		return nil, 0, fmt.Errorf("the server refused the API key (401 unauthorized: %s): check --key or KSP_KEY", msg)
	case code == http.StatusForbidden:
		return nil, 0, fmt.Errorf("the API key may not match (403 forbidden: %s): it needs the match scope", msg)
	case code == http.StatusTooManyRequests:
		return nil, retryAfter(res.Header.Get("Retry-After")), retryable{err: fmt.Errorf("rate limited by the server (429: %s)", msg), rateLimited: true}
	case code >= 500:
		return nil, 0, retryable{err: fmt.Errorf("POST %s: %s: %s", r.url, res.Status, msg)}
	default:
		return nil, 0, fmt.Errorf("POST %s: %s: %s", r.url, res.Status, msg)
	}
}

// apiMessage pulls the message out of an API error body, or returns the
// start of a body that is not one.
func apiMessage(data []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Fields  []struct {
				Field  string `json:"field"`
				Reason string `json:"reason"`
			} `json:"fields"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
		msg := e.Error.Message
		for _, f := range e.Error.Fields {
			msg += "; " + f.Field + ": " + f.Reason
		}
		return msg
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "no message"
	}
	return s
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); without
// one, a second. The wait is capped at maxRetryWait.
func retryAfter(h string) time.Duration {
	d := time.Second
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = time.Until(t)
	}
	return min(max(d, 0), maxRetryWait)
}

// stateHeader is the first line of a state file: what the recorded matches
// depend on.
type stateHeader struct {
	Version   int    `json:"ksp_scan_state"`
	Threshold int    `json:"threshold"`
	Source    string `json:"source"`
	Dihedral  bool   `json:"dihedral,omitempty"`
	Cases     bool   `json:"cases,omitempty"`
}

// describe names the flags a state file's matches depend on, as a
// command line would.
func (h stateHeader) describe() string {
	d := fmt.Sprintf("--threshold %d", h.Threshold)
	if h.Dihedral {
		d += " --dihedral"
	}
	if h.Cases {
		d += " --cases"
	}
	return d + " against " + h.Source
}

// stateRecord is one finished file in a state file.
type stateRecord struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	MTime   int64     `json:"mtime_ns"`
	Matches []scanHit `json:"matches"`
}

// scanState is an open state file: the records read from it, and the
// writer new records are appended through.
type scanState struct {
	path string
	f    *os.File
	w    *bufio.Writer
	done map[string]stateRecord
}

// openState opens or creates the state file at path. An existing file must
// have been written with the same header; its last line, if incomplete
// (an interrupted write), is dropped with a warning.
func openState(path string, h stateHeader, log *slog.Logger) (*scanState, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, exitError{code: 2, msg: fmt.Sprintf("--state: %v", err)}
	}
	s := &scanState{path: path, f: f, w: bufio.NewWriterSize(f, 64<<10), done: map[string]stateRecord{}}
	if err := s.load(h, log); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *scanState) load(want stateHeader, log *slog.Logger) error {
	r := bufio.NewReaderSize(s.f, 256<<10)
	var good int64 // offset after the last good line
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read state file %s: %w", s.path, err)
		}
		complete := err == nil
		if n == 1 {
			var h stateHeader
			if !complete || json.Unmarshal(line, &h) != nil || h.Version == 0 {
				if !complete && len(bytes.TrimSpace(line)) == 0 {
					break
				}
				return exitError{code: 2, msg: fmt.Sprintf("--state %s: not a ksp scan state file; name a new file or a state file of an earlier scan", s.path)}
			}
			if h != want {
				return exitError{code: 2, msg: fmt.Sprintf("--state %s was written by a scan with %s, not %s; use another state file",
					s.path, h.describe(), want.describe())}
			}
			good += int64(len(line))
			continue
		}
		var rec stateRecord
		if !complete || json.Unmarshal(line, &rec) != nil || rec.Path == "" {
			if _, perr := r.Peek(1); perr == io.EOF {
				log.Warn("ignoring the incomplete last line of the state file (an interrupted write)", "file", s.path, "line", n)
				break
			}
			log.Warn("ignoring an unreadable line of the state file", "file", s.path, "line", n)
			good += int64(len(line))
			continue
		}
		s.done[rec.Path] = rec
		good += int64(len(line))
	}
	// Drop a torn last line, so that appends start on a fresh line; write
	// the header to a new file.
	if err := s.f.Truncate(good); err != nil {
		return fmt.Errorf("state file %s: %w", s.path, err)
	}
	if good == 0 {
		b, _ := json.Marshal(want)
		s.w.Write(append(b, '\n'))
		return s.flush()
	}
	return nil
}

// add appends a record; it reaches the file at the next flush.
func (s *scanState) add(r stateRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("state record of %s: %w", r.Path, err)
	}
	s.w.Write(b)
	s.w.WriteByte('\n')
	return nil
}

// flush writes buffered records to the file (not synced: a torn last line
// after a crash is dropped at the next start).
func (s *scanState) flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write state file %s: %w", s.path, err)
	}
	return nil
}

// close flushes and closes the file; closing again does nothing.
func (s *scanState) close() error {
	if s.f == nil {
		return nil
	}
	err := s.flush()
	if cerr := s.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close state file %s: %w", s.path, cerr)
	}
	s.f = nil
	return err
}
