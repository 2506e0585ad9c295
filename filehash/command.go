package filehash

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
)

const usage = `usage: ksp hash [--json] [--full-resolution] [--max-pixels N] FILE...

Hashes each file: MD5 and SHA-256 of every file, and the PDQ perceptual hash
of images (JPEG, PNG, GIF first frame, WebP, BMP, TIFF). Prints one line per
file, in argument order:

  pdq_hex<TAB>quality<TAB>md5<TAB>sha256<TAB>file

The PDQ fields are empty for files that are not images. With --json, one JSON
object per line: {"file","pdq","quality","md5","sha256"} (pdq and quality are
null for files that are not images). A file that cannot be read gets an error
line on stderr and the exit status is 1; the other files are still printed.

Flags:
`

// jsonLine is one line of `ksp hash --json`.
type jsonLine struct {
	File    string  `json:"file"`
	PDQ     *string `json:"pdq"`
	Quality *int    `json:"quality"`
	MD5     string  `json:"md5"`
	SHA256  string  `json:"sha256"`
}

// Command runs the `ksp hash` subcommand with args, the arguments after the
// subcommand name, and returns the exit status: 0 when every file was
// hashed, 1 when some file could not be (each has a line on stderr), 2 for a
// usage error. Files are hashed in parallel on all cores; lines are written
// in argument order, each as soon as it and all before it are done.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hash", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	full := fs.Bool("full-resolution", false, "hash images at full size instead of the reference's 512x512 pre-resize")
	maxPixels := fs.Int64("max-pixels", DefaultMaxPixels, "refuse images with more pixels than `N` (width × height)")
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "ksp hash: %v\n", err)
		printUsage(stderr)
		return 2
	}
	if *maxPixels <= 0 {
		fmt.Fprintf(stderr, "ksp hash: --max-pixels must be positive, got %d\n", *maxPixels)
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "ksp hash: no files given")
		printUsage(stderr)
		return 2
	}
	opts := Options{MaxPixels: *maxPixels, FullResolution: *full}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type outcome struct {
		res Result
		err error
	}
	results := make([]outcome, len(files))
	done := make([]chan struct{}, len(files))
	for i := range done {
		done[i] = make(chan struct{})
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(files))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i].res, results[i].err = hashPath(files[i], opts)
				close(done[i])
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range files {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	out := bufio.NewWriter(stdout)
	status := 0
	for i, file := range files {
		select {
		case <-done[i]:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "ksp hash: %v\n", err)
			wg.Wait()
			return 1
		}
		r := results[i]
		if r.err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "ksp hash: %s: %v\n", file, r.err)
			status = 1
			continue
		}
		if r.res.ImageError != nil {
			out.Flush()
			fmt.Fprintf(stderr, "ksp hash: %s: warning: not hashed as an image: %v\n", file, r.res.ImageError)
		}
		if *asJSON {
			line := jsonLine{File: file, MD5: r.res.MD5, SHA256: r.res.SHA256}
			if r.res.IsImage {
				h, q := r.res.PDQ.String(), r.res.Quality
				line.PDQ, line.Quality = &h, &q
			}
			b, err := json.Marshal(line)
			if err != nil {
				fmt.Fprintf(stderr, "ksp hash: %s: %v\n", file, err)
				status = 1
				continue
			}
			out.Write(b)
			out.WriteByte('\n')
		} else {
			if r.res.IsImage {
				out.WriteString(r.res.PDQ.String())
				out.WriteByte('\t')
				out.WriteString(strconv.Itoa(r.res.Quality))
			} else {
				out.WriteByte('\t')
			}
			fmt.Fprintf(out, "\t%s\t%s\t%s\n", r.res.MD5, r.res.SHA256, file)
		}
		// Stream: a line is out as soon as it and those before it are done.
		if i+1 < len(files) && !isDone(done[i+1]) {
			if err := out.Flush(); err != nil {
				fmt.Fprintf(stderr, "ksp hash: write: %v\n", err)
				cancel()
				wg.Wait()
				return 1
			}
		}
	}
	wg.Wait()
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "ksp hash: write: %v\n", err)
		return 1
	}
	return status
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
