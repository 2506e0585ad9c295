// Command kspload is a small HTTP load generator for measuring a KSP server
// on this machine, and a generator of bulk-import files for the same
// benchmarks (docs/bench-stores.md).
//
// It only ever targets loopback addresses and always stops: after -d, or
// after -n requests, whichever comes first (both are capped). Load comes
// over keep-alive connections, one per -c worker.
//
//	kspload -url http://127.0.0.1:8080/api/v1/me -key ksp_… -c 8 -d 10s
//	kspload -url http://127.0.0.1:8080/api/v1/signals -key ksp_… -method POST \
//	    -body-template post.json -c 4 -n 20000
//	kspload -gen-csv 1000000 > signals.csv
//
// A body template may contain placeholders, rendered per request:
//
//	{{n}}     a per-run counter as 64 hex digits (distinct values for writes)
//	{{bank}}  alternately a value of the generated bank (a hit; needs -bank N)
//	          and a value that is not in it (a miss)
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Caps that keep a mistyped flag from running away.
const (
	maxDuration = 10 * time.Minute
	maxRequests = 50_000_000
	maxConns    = 1024
	maxGenRows  = 100_000_000
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	url      string
	key      string
	method   string
	body     []byte
	tmpl     []byte
	conns    int
	duration time.Duration
	requests int64
	bank     int64
	start    uint64
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kspload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var bodyFile, tmplFile string
	var genCSV int64
	fs.StringVar(&c.url, "url", "", "target URL (loopback hosts only)")
	fs.StringVar(&c.key, "key", "", "API key sent as Authorization: Bearer KEY")
	fs.StringVar(&c.method, "method", "GET", "HTTP method")
	fs.StringVar(&bodyFile, "body", "", "file sent as the request body")
	fs.StringVar(&tmplFile, "body-template", "", "file sent as the body with {{n}} and {{bank}} rendered per request")
	fs.IntVar(&c.conns, "c", 4, "concurrent keep-alive connections")
	fs.DurationVar(&c.duration, "d", 10*time.Second, "how long to run (at most 10m)")
	fs.Int64Var(&c.requests, "n", 0, "stop after this many requests (0: only -d bounds the run)")
	fs.Int64Var(&c.bank, "bank", 0, "size of the bank generated with -gen-csv, for {{bank}}")
	fs.Uint64Var(&c.start, "n-start", uint64(time.Now().UnixNano()), "first value of the {{n}} counter")
	fs.Int64Var(&genCSV, "gen-csv", 0, "write a PDQ CSV of this many rows (values of the generated bank) to stdout and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if genCSV > 0 {
		if genCSV > maxGenRows {
			fmt.Fprintf(stderr, "kspload: -gen-csv at most %d\n", maxGenRows)
			return 2
		}
		if err := writeCSV(stdout, genCSV); err != nil {
			fmt.Fprintln(stderr, "kspload:", err)
			return 1
		}
		return 0
	}
	if err := c.check(); err != nil {
		fmt.Fprintln(stderr, "kspload:", err)
		return 2
	}
	var err error
	if bodyFile != "" {
		if c.body, err = os.ReadFile(bodyFile); err != nil {
			fmt.Fprintln(stderr, "kspload:", err)
			return 2
		}
	}
	if tmplFile != "" {
		if c.tmpl, err = os.ReadFile(tmplFile); err != nil {
			fmt.Fprintln(stderr, "kspload:", err)
			return 2
		}
		if bytes.Contains(c.tmpl, []byte("{{bank}}")) && c.bank <= 0 {
			fmt.Fprintln(stderr, "kspload: {{bank}} needs -bank N (the row count given to -gen-csv)")
			return 2
		}
	}
	r := load(context.Background(), &c)
	r.print(stdout)
	return 0
}

// check validates the flags: a loopback target and bounded work.
func (c *config) check() error {
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url must be an http(s) URL")
	}
	if !loopback(u.Hostname()) {
		return fmt.Errorf("-url host %q is not a loopback address: kspload only loads this machine", u.Hostname())
	}
	if c.conns < 1 || c.conns > maxConns {
		return fmt.Errorf("-c must be 1 to %d", maxConns)
	}
	if c.duration <= 0 || c.duration > maxDuration {
		return fmt.Errorf("-d must be positive and at most %s", maxDuration)
	}
	if c.requests < 0 || c.requests > maxRequests {
		return fmt.Errorf("-n must be 0 to %d", maxRequests)
	}
	return nil
}

// loopback accepts localhost and loopback IP literals; other names are
// refused rather than resolved.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// bankValue is value i of the generated bank: 64 hex digits, uniformly
// spread like real PDQ hashes. miss selects a disjoint family of values.
func bankValue(i uint64, miss bool) string {
	var b [9]byte
	binary.BigEndian.PutUint64(b[:8], i)
	if miss {
		b[8] = 1
	}
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])
}

// writeCSV writes n PDQ rows in the bulk format (API.md "Signals").
func writeCSV(w io.Writer, n int64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	labels := []string{"propaganda", "glorification", "recruitment", "instruction", "graphic_violence|propaganda"}
	bw.WriteString("type,value,content_type,labels,basis\n")
	for i := int64(0); i < n; i++ {
		bw.WriteString("pdq,")
		bw.WriteString(bankValue(uint64(i), false))
		bw.WriteString(",photo,")
		bw.WriteString(labels[i%int64(len(labels))])
		bw.WriteString(",branded_publication\n")
	}
	return bw.Flush()
}

// result is what a run measured.
type result struct {
	elapsed  time.Duration
	lat      []time.Duration
	status   map[int]int64
	errors   map[string]int64
	requests int64
}

func load(ctx context.Context, c *config) *result {
	tr := &http.Transport{
		MaxIdleConns:        c.conns,
		MaxIdleConnsPerHost: c.conns,
		MaxConnsPerHost:     c.conns,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	var issued atomic.Int64
	var counter atomic.Uint64
	counter.Store(c.start)
	type worker struct {
		lat    []time.Duration
		status map[int]int64
		errors map[string]int64
	}
	ws := make([]*worker, c.conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range ws {
		w := &worker{status: map[int]int64{}, errors: map[string]int64{}, lat: make([]time.Duration, 0, 1<<14)}
		ws[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			for ctx.Err() == nil {
				if c.requests > 0 && issued.Add(1) > c.requests {
					return
				}
				var body io.Reader
				switch {
				case c.tmpl != nil:
					body = bytes.NewReader(render(c.tmpl, counter.Add(1)-1, c.bank, rng))
				case c.body != nil:
					body = bytes.NewReader(c.body)
				}
				req, err := http.NewRequestWithContext(ctx, c.method, c.url, body)
				if err != nil {
					w.errors[err.Error()]++
					return
				}
				if c.key != "" {
					req.Header.Set("Authorization", "Bearer "+c.key)
				}
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						w.errors[shortErr(err)]++
					}
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				w.lat = append(w.lat, time.Since(t0))
				w.status[res.StatusCode]++
			}
		}()
	}
	wg.Wait()
	r := &result{elapsed: time.Since(start), status: map[int]int64{}, errors: map[string]int64{}}
	for _, w := range ws {
		r.lat = append(r.lat, w.lat...)
		for k, v := range w.status {
			r.status[k] += v
			r.requests += v
		}
		for k, v := range w.errors {
			r.errors[k] += v
		}
	}
	slices.Sort(r.lat)
	return r
}

// render fills a body template for request n.
func render(tmpl []byte, n uint64, bank int64, rng *rand.Rand) []byte {
	out := tmpl
	if bytes.Contains(out, []byte("{{n}}")) {
		out = bytes.ReplaceAll(out, []byte("{{n}}"), fmt.Appendf(nil, "%064x", n))
	}
	if bank > 0 && bytes.Contains(out, []byte("{{bank}}")) {
		// Even requests hit, odd ones miss.
		v := bankValue(uint64(rng.Int64N(bank)), n%2 == 1)
		out = bytes.ReplaceAll(out, []byte("{{bank}}"), []byte(v))
	}
	return out
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p)
	return r.lat[i]
}

func (r *result) print(w io.Writer) {
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "requests=%d seconds=%.2f rps=%.0f\n", r.requests, secs, float64(r.requests)/secs)
	if len(r.lat) > 0 {
		fmt.Fprintf(w, "latency p50=%s p90=%s p99=%s max=%s\n", round(r.pct(0.50)), round(r.pct(0.90)), round(r.pct(0.99)), round(r.lat[len(r.lat)-1]))
	}
	codes := make([]int, 0, len(r.status))
	for k := range r.status {
		codes = append(codes, k)
	}
	sort.Ints(codes)
	var parts []string
	for _, k := range codes {
		parts = append(parts, fmt.Sprintf("%d=%d", k, r.status[k]))
	}
	fmt.Fprintf(w, "status %s\n", strings.Join(parts, " "))
	for k, v := range r.errors {
		fmt.Fprintf(w, "error %q x%d\n", k, v)
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
