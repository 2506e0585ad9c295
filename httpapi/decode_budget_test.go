package httpapi_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kspplatform/ksp/filehash"
)

// png16 encodes a w×h opaque 16-bit RGBA PNG of one colour: a few kilobytes
// that decode to 8 bytes a pixel.
func png16(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA64(image.Rect(0, 0, w, h))
	c := color.NRGBA64{R: 0x1234, G: 0x5678, B: 0x9abc, A: 0xffff}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA64(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type uploadResult struct {
	status     int
	code       string
	retryAfter string
	err        error
}

func upload(url, key string, body []byte) uploadResult {
	req, err := http.NewRequest("POST", url+"/api/v1/match/image", bytes.NewReader(body))
	if err != nil {
		return uploadResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/octet-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return uploadResult{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return uploadResult{err: err}
	}
	out := uploadResult{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After")}
	if res.StatusCode != 200 {
		var eb struct {
			Error struct{ Code string } `json:"error"`
		}
		if err := json.Unmarshal(b, &eb); err != nil {
			out.err = err
		}
		out.code = eb.Error.Code
	}
	return out
}

// TestImageUploadsShareADecodeBudget fires many concurrent uploads of images
// that are small on the wire but large once decoded at a server whose decode
// budget holds two of them at a time: the others are refused with 503
// unavailable and a Retry-After, nothing else goes wrong, and the memory
// held by decodes at once never exceeds the budget.
func TestImageUploadsShareADecodeBudget(t *testing.T) {
	img := png16(t, 1500, 1500)
	cost, err := filehash.DecodeCost(img, filehash.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cost < 1500*1500*8 {
		t.Fatalf("cost %d is less than the decoded pixels", cost)
	}
	budget := filehash.NewMemoryBudget(cost*5/2, time.Millisecond)
	cfg := fast()
	cfg.DecodeBudget = budget
	e := newEnv(t, cfg)
	t.Logf("%d bytes on the wire, %.1f MiB to decode, budget %.1f MiB", len(img), float64(cost)/(1<<20), float64(budget.Limit())/(1<<20))

	const n = 16
	results := make([]uploadResult, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = upload(e.srv.URL, e.keys["viewer"], img)
		}()
	}
	close(start)
	wg.Wait()

	var ok, busy int
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("upload %d: %v", i, r.err)
		case r.status == 200:
			ok++
		case r.status == 503 && r.code == "unavailable" && r.retryAfter == "1":
			busy++
		default:
			t.Errorf("upload %d: status %d, code %q, Retry-After %q; want 200, or 503 unavailable with Retry-After 1", i, r.status, r.code, r.retryAfter)
		}
	}
	t.Logf("%d answered, %d refused as busy; peak %.1f MiB", ok, busy, float64(budget.Peak())/(1<<20))
	if ok == 0 || busy == 0 {
		t.Errorf("%d answered and %d refused: want some of each", ok, busy)
	}
	if budget.Peak() > budget.Limit() {
		t.Errorf("decodes held %d bytes at once, over the budget of %d", budget.Peak(), budget.Limit())
	}
	if budget.Peak() < cost {
		t.Errorf("peak %d: the decodes were not charged their cost of %d", budget.Peak(), cost)
	}
	if budget.InUse() != 0 {
		t.Errorf("%d bytes still held after every upload was answered", budget.InUse())
	}
	// The server is fine: the same image goes through once the rush is over.
	if r := upload(e.srv.URL, e.keys["viewer"], img); r.status != 200 {
		t.Fatalf("upload after the rush: %+v", r)
	}
}

// TestImageUploadOverTheWholeBudget: an image whose decode alone needs more
// than the whole budget is too large, however idle the server is.
func TestImageUploadOverTheWholeBudget(t *testing.T) {
	img := png16(t, 600, 600)
	cfg := fast()
	cfg.DecodeBudget = filehash.NewMemoryBudget(1<<20, time.Second)
	e := newEnv(t, cfg)
	r := e.do("POST", "/api/v1/match/image", e.keys["viewer"], img)
	wantError(t, r, 413, "too_large", "body")
	if cfg.DecodeBudget.Peak() != 0 {
		t.Fatalf("peak %d: the image was decoded", cfg.DecodeBudget.Peak())
	}
}
