package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
)

// "Share from an image": the share form takes an image, hashes it in
// memory as /check does (the same upload reader and limits) and comes
// back filled with its PDQ hash and quality, offering its MD5 and SHA-256
// instead. The image is not stored.

func (s *Server) registerShareImage() {
	post := s.wrap(SignedIn, s.shareFromImage)
	// As for /check: the upload is read (bounded, into memory) before the
	// page's CSRF check, whose token comes first in the multipart body.
	s.mux.Handle("POST /signals/new", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := s.readUpload(w, r)
		post.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), uploadKey{}, up)))
	}))
}

// ImageHashes is what an image uploaded to the share form hashed to.
type ImageHashes struct {
	FileName, Format string
	Width, Height    int
	PDQ              string
	Quality          int
	// LowQuality is set when the PDQ hash's quality is under the bank's
	// minimum: the bank refuses it, so the form is filled with SHA-256.
	LowQuality  bool
	MinQuality  int
	MD5, SHA256 string
}

func (s *Server) shareFromImage(w http.ResponseWriter, r *http.Request) error {
	up, _ := r.Context().Value(uploadKey{}).(*upload)
	form := url.Values{"distribution": {string(ksp.DefaultDistribution)}, "tlp": {string(ksp.DefaultTLP)}, "severity": {"medium"}}
	if !mayShare(ksp.ActorFrom(r.Context())) {
		return s.shareForm(w, r, http.StatusForbidden, &Page{Form: form})
	}
	h, status, msg := s.hashUpload(w, up, false, "Choose an image to hash")
	if msg != "" {
		return s.shareForm(w, r, status, &Page{Form: form, Errors: []FormError{{Field: "image", Message: msg}}})
	}
	img := imageHashes(up.name, h)
	form.Set("content_type", "photo")
	if img.LowQuality {
		form.Set("type", ksp.TypeSHA256)
		form.Set("value", img.SHA256)
	} else {
		form.Set("type", ksp.TypePDQ)
		form.Set("value", img.PDQ)
		form.Set("quality", fmt.Sprint(img.Quality))
	}
	return s.shareForm(w, r, http.StatusOK, &Page{Form: form, Data: img})
}

func imageHashes(name string, h filehash.Result) *ImageHashes {
	return &ImageHashes{FileName: name, Format: h.Format, Width: h.Width, Height: h.Height, PDQ: h.PDQ.String(), Quality: h.Quality,
		LowQuality: h.Quality < ksp.MinPDQQuality, MinQuality: ksp.MinPDQQuality, MD5: h.MD5, SHA256: h.SHA256}
}
