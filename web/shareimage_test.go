package web

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"strings"
	"testing"

	"github.com/kspplatform/ksp"
	"github.com/kspplatform/ksp/filehash"
)

// TestShareFromImage: the share form hashes an uploaded image and comes
// back filled; nothing of the image is kept; a flat image's low PDQ
// quality is explained and SHA-256 chosen; the limits of /check hold.
func TestShareFromImage(t *testing.T) {
	h := newHarness(t, Config{MaxImageBytes: 256 << 10, MaxPixels: 1_000_000})
	m := seedMembers(h)
	img := testPNG(t, 7, false)
	hashed, err := filehash.HashBytes(img, filehash.Options{})
	if err != nil || hashed.Quality < ksp.MinPDQQuality {
		t.Fatalf("test image: quality %d, %v", hashed.Quality, err)
	}
	c := h.client()
	c.signIn(m.a, 0)
	c.get("/signals/new")
	c.want(c.upload("/signals/new", "poster.png", img, nil), 200, "Your image was not stored", "poster.png", hashed.MD5, hashed.SHA256,
		fmt.Sprintf(`name="value" type="text" value="%s"`, hashed.PDQ.String()), fmt.Sprintf(`value="%d"`, hashed.Quality),
		`href="/signals/new?type=md5&amp;value=`+hashed.MD5+`"`)
	if !strings.Contains(c.body, `type="radio" id="f-type" name="type" value="pdq" checked`) {
		t.Fatalf("PDQ not chosen:\n%s", excerpt(c.body))
	}
	// The filled form shares as it is once labels and a basis are chosen.
	res := c.post("/signals", url.Values{"type": {"pdq"}, "value": {hashed.PDQ.String()}, "quality": {fmt.Sprint(hashed.Quality)}, "content_type": {"photo"},
		"labels": {"propaganda"}, "basis": {"branded_publication"}, "severity": {"medium"}, "distribution": {"members"}, "tlp": {"GREEN"}})
	c.want(res, 200, "Signal shared with all members")
	// Nothing of the image is stored: no table holds its MD5 or SHA-256.
	for table, col := range map[string]string{"signals": "value", "submissions": "digest", "events": "data", "audit_details": "details"} {
		var n int
		q := "SELECT COUNT(*) FROM " + table + " WHERE " + col + " LIKE ? OR " + col + " LIKE ?"
		if err := h.db.SQL().QueryRow(h.db.Rebind(q), "%"+hashed.MD5+"%", "%"+hashed.SHA256+"%").Scan(&n); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if n != 0 {
			t.Errorf("%s holds the image's file hashes", table)
		}
	}

	// A flat image: quality under 50 is explained, SHA-256 is chosen.
	flat := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range flat.Pix {
		flat.Pix[i] = 200
	}
	flat.Set(3, 3, color.RGBA{0, 0, 0, 255})
	var buf bytes.Buffer
	png.Encode(&buf, flat)
	fh, _ := filehash.HashBytes(buf.Bytes(), filehash.Options{})
	if fh.Quality >= ksp.MinPDQQuality {
		t.Fatalf("flat image quality %d", fh.Quality)
	}
	c.get("/signals/new")
	c.want(c.upload("/signals/new", "flat.png", buf.Bytes(), nil), 200, fmt.Sprintf("PDQ quality %d is under 50", fh.Quality), "too little detail",
		fmt.Sprintf(`name="value" type="text" value="%s"`, fh.SHA256))
	if !strings.Contains(c.body, `name="type" value="sha256" checked`) {
		t.Fatal("SHA-256 not chosen for a low-quality image")
	}

	// The limits and errors of /check.
	c.get("/signals/new")
	c.want(c.upload("/signals/new", "report.pdf", []byte("%PDF-1.4 not an image"), nil), 400, "There is a problem", "not an image KSP can read", `href="#f-image"`)
	c.want(c.upload("/signals/new", "", nil, nil), 400, "Choose an image to hash")
	big := image.NewGray(image.Rect(0, 0, 2000, 1000))
	buf.Reset()
	png.Encode(&buf, big)
	c.want(c.upload("/signals/new", "huge.png", buf.Bytes(), nil), 413, "more than 1 megapixels")
	c.want(c.upload("/signals/new", "large.bin", bytes.Repeat([]byte{0xff}, 300<<10), nil), 413, "larger than 256 KiB")
	c.want(c.get("/signals/new"), 200, "Share a signal")

	// Without the form's token: refused. A viewer may not share.
	v := h.client()
	v.signIn(m.aViewer, 0)
	v.get("/signals")
	v.want(v.upload("/signals/new", "poster.png", img, nil), 403, "Analysts share signals")
	anon := h.client()
	anon.get("/")
	if res := anon.upload("/signals/new", "poster.png", img, nil); res.StatusCode != 403 && !strings.Contains(anon.body, "Sign in") {
		t.Fatalf("anonymous upload: %d", res.StatusCode)
	}
}
