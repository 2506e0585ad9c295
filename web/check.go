package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/bank"
	"github.com/kspplatform/ksp/filehash"
)

// "Check an image": an uploaded image is hashed in memory (PDQ, MD5,
// SHA-256) and matched against the bank, as POST /api/v1/match/image does.
// Nothing of it is kept.

func (s *Server) registerCheck() {
	s.Handle("GET /check", SignedIn, s.checkForm)
	post := s.wrap(SignedIn, s.checkImage)
	values := s.wrap(SignedIn, s.checkValues)
	// The upload is read here, before the page's CSRF check, so that the
	// body limit holds and a too-large file gets a clear answer: the form's
	// token comes before the file in the multipart body. Pasted values
	// come as an ordinary form.
	s.mux.Handle("POST /check", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			r.Body = http.MaxBytesReader(w, r.Body, maxPastedBytes)
			values.ServeHTTP(w, r)
			return
		}
		up := s.readUpload(w, r)
		post.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), uploadKey{}, up)))
	}))
	s.AddNav(NavItem{Label: "Check an image", Path: "/check", Show: SignedIn})
}

type uploadKey struct{}

// upload is an image read from a check form, in memory only.
type upload struct {
	data     []byte
	name     string
	tooLarge bool
	err      error
}

// readUpload reads the check form's multipart body: small fields into
// r.PostForm, the image into memory, at most MaxImageBytes of it (never to
// disk, unlike ParseMultipartForm).
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) *upload {
	up := &upload{}
	if c, err := r.Cookie(SessionCookie); err != nil || c.Value == "" {
		// Nothing is read for anonymous requests: the form check fails.
		up.err = errors.New("not signed in")
		r.Form, r.PostForm, r.MultipartForm = url.Values{}, url.Values{}, &multipart.Form{}
		return up
	}
	body := r.Body
	r.Body = http.MaxBytesReader(w, body, s.cfg.MaxImageBytes+1<<20)
	defer func() {
		if up.tooLarge {
			// Read what the browser is still sending (up to a bound), so
			// that it receives the answer instead of a reset connection.
			io.CopyN(io.Discard, body, 4*s.cfg.MaxImageBytes)
		}
	}()
	mr, err := r.MultipartReader()
	if err != nil {
		r.MultipartForm = nil // let the usual form parsing try
		up.err = err
		return up
	}
	form := url.Values{}
	tooLarge := func(err error) bool {
		var mb *http.MaxBytesError
		return errors.As(err, &mb)
	}
read:
	for {
		part, err := mr.NextPart()
		switch {
		case err == io.EOF:
			break read
		case tooLarge(err):
			up.tooLarge = true
			break read
		case err != nil:
			up.err = err
			break read
		}
		if part.FormName() == "image" {
			up.name = part.FileName()
			data, err := io.ReadAll(io.LimitReader(part, s.cfg.MaxImageBytes+1))
			switch {
			case tooLarge(err) || int64(len(data)) > s.cfg.MaxImageBytes:
				up.tooLarge = true
				break read
			case err != nil:
				up.err = err
				break read
			}
			up.data = data
			continue
		}
		if part.FileName() != "" || len(form) > 20 {
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, 4096))
		if err != nil {
			up.err = err
			break read
		}
		form.Add(part.FormName(), string(v))
	}
	r.Form, r.PostForm, r.MultipartForm = form, form, &multipart.Form{Value: form}
	return up
}

// CheckData is the check page's content.
type CheckData struct {
	// NotAvailable is set for organisations without the match scope.
	NotAvailable bool
	// NoMatcher is set when the server runs without a hash bank index.
	NoMatcher bool
	MaxSize   string
	MaxMP     int64
	Threshold int
	Result    *CheckResult
	// Values is what pasted values matched.
	Values   *ValuesResult
	CanShare bool
	MaxLines int
}

// CheckResult is what an uploaded image hashed to and matched.
type CheckResult struct {
	FileName      string
	Format        string
	Width, Height int
	PDQ           string
	Quality       int
	PDQSkipped    string
	MD5, SHA256   string
	Dihedral      bool
	Matches       []ksp.MatchHit
}

func (s *Server) checkPage(w http.ResponseWriter, r *http.Request, status int, p *Page, res *CheckResult) error {
	return s.renderCheck(w, r, status, p, res, nil)
}

func (s *Server) checkPageValues(w http.ResponseWriter, r *http.Request, p *Page, vals *ValuesResult) error {
	return s.renderCheck(w, r, http.StatusOK, p, nil, vals)
}

func (s *Server) renderCheck(w http.ResponseWriter, r *http.Request, status int, p *Page, res *CheckResult, vals *ValuesResult) error {
	a := ksp.ActorFrom(r.Context())
	mp := s.cfg.MaxPixels
	if mp <= 0 {
		mp = filehash.DefaultMaxPixels
	}
	d := CheckData{NotAvailable: !a.HasScope(ksp.ScopeMatch), NoMatcher: s.cfg.Matcher == nil, MaxSize: byteSize(s.cfg.MaxImageBytes), MaxMP: mp / 1_000_000,
		Threshold: ksp.DefaultThreshold, Result: res, Values: vals, CanShare: mayShare(a), MaxLines: ksp.MaxMatchQueries}
	switch {
	case d.NotAvailable:
		status = http.StatusForbidden
	case d.NoMatcher:
		status = http.StatusServiceUnavailable
	}
	if p.Title == "" {
		p.Title = "Check an image"
	}
	p.Data = d
	return s.render(w, r, status, "check.html", p)
}

func (s *Server) checkForm(w http.ResponseWriter, r *http.Request) error {
	return s.checkPage(w, r, http.StatusOK, &Page{}, nil)
}

func (s *Server) checkImage(w http.ResponseWriter, r *http.Request) error {
	a := ksp.ActorFrom(r.Context())
	p := &Page{Form: r.PostForm}
	if !a.HasScope(ksp.ScopeMatch) || s.cfg.Matcher == nil {
		return s.checkPage(w, r, http.StatusForbidden, p, nil)
	}
	up, _ := r.Context().Value(uploadKey{}).(*upload)
	fail := func(status int, msg string) error {
		p.Errors = []FormError{{Field: "image", Message: msg}}
		return s.checkPage(w, r, status, p, nil)
	}
	dihedral := r.PostFormValue("dihedral") == "yes"
	h, status, msg := s.hashUpload(w, up, dihedral, "Choose an image to check")
	if msg != "" {
		return fail(status, msg)
	}
	res := &CheckResult{FileName: up.name, Format: h.Format, Width: h.Width, Height: h.Height, PDQ: h.PDQ.String(), Quality: h.Quality,
		MD5: h.MD5, SHA256: h.SHA256, Dihedral: dihedral, Matches: []ksp.MatchHit{}}
	queries, skipped := bank.ImageQueries(h)
	if skipped {
		res.PDQSkipped = fmt.Sprintf("PDQ quality %d is below %d: the image has too little detail to match perceptually, so only the exact hashes were matched.", h.Quality, ksp.MinPDQQuality)
	}
	results, err := s.cfg.Matcher.Match(r.Context(), queries, ksp.DefaultThreshold)
	if err != nil {
		return err
	}
	res.Matches = bank.Merge(results)
	return s.checkPage(w, r, http.StatusOK, p, res)
}

// hashUpload hashes an uploaded image in memory (PDQ with its quality, MD5,
// SHA-256) under the server's limits: the file's size (readUpload), its
// dimensions (read from the header before decoding) and the decode memory
// budget. On failure it returns the status and the message for the form's
// image field (none when no file was chosen). The upload's bytes are dropped either way.
func (s *Server) hashUpload(w http.ResponseWriter, up *upload, dihedral bool, none string) (filehash.Result, int, string) {
	switch {
	case up == nil || (up.err != nil && !up.tooLarge):
		return filehash.Result{}, http.StatusBadRequest, "The upload could not be read. Choose the image and try again."
	case up.tooLarge:
		return filehash.Result{}, http.StatusRequestEntityTooLarge, "The file is larger than " + byteSize(s.cfg.MaxImageBytes) + ". Choose a smaller image."
	case len(up.data) == 0:
		return filehash.Result{}, http.StatusBadRequest, none
	}
	h, err := filehash.HashBytes(up.data, filehash.Options{MaxPixels: s.cfg.MaxPixels, Dihedral: dihedral, Memory: s.cfg.DecodeBudget})
	up.data = nil
	if errors.Is(err, filehash.ErrBusy) {
		s.log.Warn("image refused: decode budget busy", "err", err, "format", h.Format, "width", h.Width, "height", h.Height)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(s.cfg.DecodeBudget.Wait().Seconds())))))
		return h, http.StatusServiceUnavailable, "KSP is busy opening other images. Wait a few seconds and try this one again."
	}
	if errors.Is(err, filehash.ErrOverBudget) {
		return h, http.StatusRequestEntityTooLarge, fmt.Sprintf("The image is %d × %d pixels: opening it would take more memory than KSP allows for images. Use a smaller copy.", h.Width, h.Height)
	}
	if errors.Is(err, filehash.ErrTooManyPixels) {
		mp := s.cfg.MaxPixels
		if mp <= 0 {
			mp = filehash.DefaultMaxPixels
		}
		return h, http.StatusRequestEntityTooLarge, fmt.Sprintf("The image is %d × %d pixels, more than %d megapixels: KSP does not open images that big. Use a smaller copy.", h.Width, h.Height, mp/1_000_000)
	}
	if err != nil {
		return h, http.StatusBadRequest, "The image could not be read: " + err.Error()
	}
	if !h.IsImage {
		msg := "This file is not an image KSP can read. Choose a JPEG, PNG, GIF, WebP, BMP or TIFF image."
		if h.ImageError != nil {
			msg = fmt.Sprintf("This %s image is damaged or in a variant KSP cannot read. Choose another copy.", human(h.Format))
		}
		return h, http.StatusBadRequest, msg
	}
	return h, http.StatusOK, ""
}

// byteSize writes a size for people: "32 MiB", "64 KiB".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
