package filehash

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"runtime"
	"slices"
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
	out := bufio.NewWriter(stdout)
	status := 0
	var writeErr error
	err := Ordered(ctx, slices.Values(files), func(f string) string { return f }, opts, func(d Done[string]) error {
		file, r := d.Item, d.Result
		if d.Err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "ksp hash: %s: %v\n", file, d.Err)
			status = 1
			return nil
		}
		if r.ImageError != nil {
			out.Flush()
			fmt.Fprintf(stderr, "ksp hash: %s: warning: not hashed as an image: %v\n", file, r.ImageError)
		}
		if *asJSON {
			line := jsonLine{File: file, MD5: r.MD5, SHA256: r.SHA256}
			if r.IsImage {
				h, q := r.PDQ.String(), r.Quality
				line.PDQ, line.Quality = &h, &q
			}
			b, err := json.Marshal(line)
			if err != nil {
				fmt.Fprintf(stderr, "ksp hash: %s: %v\n", file, err)
				status = 1
				return nil
			}
			out.Write(b)
			out.WriteByte('\n')
		} else {
			if r.IsImage {
				out.WriteString(r.PDQ.String())
				out.WriteByte('\t')
				out.WriteString(strconv.Itoa(r.Quality))
			} else {
				out.WriteByte('\t')
			}
			fmt.Fprintf(out, "\t%s\t%s\t%s\n", r.MD5, r.SHA256, file)
		}
		// Stream: a line is out as soon as it and those before it are done.
		if !d.Ready {
			if writeErr = out.Flush(); writeErr != nil {
				return writeErr
			}
		}
		return nil
	})
	switch {
	case writeErr != nil:
		fmt.Fprintf(stderr, "ksp hash: write: %v\n", writeErr)
		return 1
	case err != nil:
		out.Flush()
		fmt.Fprintf(stderr, "ksp hash: %v\n", err)
		return 1
	}
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

// Done is one item's outcome, as Ordered hands it on.
type Done[T any] struct {
	// Item is what the sequence yielded.
	Item T
	// Result is the file's hashes. For an image over the pixel budget it
	// still holds MD5 and SHA-256, with Err wrapping ErrTooManyPixels.
	Result Result
	// Err is why the file could not be read or hashed. It does not name the
	// file.
	Err error
	// Ready is true when the next item's outcome is already available;
	// false means the caller would wait for it, a good moment to flush
	// buffered output.
	Ready bool
}

// Ordered hashes the files of the items seq yields, on one goroutine per
// core (GOMAXPROCS), and calls emit with each outcome in the order the items
// were yielded, as soon as it and all before it are done. path names an
// item's file; an item whose path is "" is not hashed and reaches emit with
// a zero Result and no error, in its place (callers use that to carry items
// they already know about, or errors of their own, through the order).
//
// Items are pulled from seq as workers free up, with a bounded number in
// flight, so seq may be long (a directory walk). seq and the hashing run on
// other goroutines; emit runs on the caller's. Ordered returns when every
// item was emitted (nil), emit returned an error (that error), or ctx ended
// (ctx.Err()); in every case the goroutines it started have ended, seq
// included.
func Ordered[T any](ctx context.Context, seq iter.Seq[T], path func(T) string, opts Options, emit func(Done[T]) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		path string
		out  Done[T]
		done chan struct{}
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *job)
	order := make(chan *job, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.out.Result, j.out.Err = hashPath(j.path, opts)
				close(j.done)
			}
		})
	}
	complete := false // written by the feeder before it closes order
	go func() {
		defer close(order)
		defer close(jobs)
		for item := range seq {
			if ctx.Err() != nil {
				return
			}
			j := &job{path: path(item), out: Done[T]{Item: item}, done: make(chan struct{})}
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
			if j.path == "" {
				close(j.done)
				continue
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
		complete = true
	}()
	// finish stops the feeder and the workers and waits for them.
	finish := func(err error) error {
		cancel()
		for range order {
		}
		wg.Wait()
		return err
	}
	next, ok := <-order
	for ok {
		j := next
		select {
		case <-j.done:
		case <-ctx.Done():
			return finish(ctx.Err())
		}
		// Look ahead without waiting: is the next outcome there already?
		select {
		case next, ok = <-order:
			if ok {
				j.out.Ready = isDone(next.done)
			}
		default:
			next, ok = nil, true
		}
		if err := emit(j.out); err != nil {
			return finish(err)
		}
		if next == nil {
			next, ok = <-order
		}
	}
	// order is closed: the feeder is done; it stopped early only when ctx
	// ended.
	if !complete {
		return finish(ctx.Err())
	}
	return finish(nil)
}
