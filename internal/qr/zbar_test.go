package qr

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// png renders the code with a quiet zone of four modules, scale pixels a
// module.
func (c *Code) png(t *testing.T, scale int) []byte {
	n := (c.Size + 8) * scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			r, col := y/scale-4, x/scale-4
			v := color.Gray{Y: 255}
			if r >= 0 && col >= 0 && r < c.Size && col < c.Size && c.Dark(r, col) {
				v = color.Gray{Y: 0}
			}
			img.SetGray(x, y, v)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestZbarimg has an independent reader, ZBar, decode our symbols: every
// version, every mask. It runs where zbarimg is installed (Debian's
// zbar-tools) and is skipped elsewhere.
func TestZbarimg(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("zbarimg not installed (apt-get install zbar-tools): skipping the check by an independent reader")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	type sample struct {
		file, text string
	}
	var samples []sample
	for v := 1; v <= 10; v++ {
		for mask := range 8 {
			// Printable ASCII, so that ZBar prints it back unchanged.
			n := specCapacity[v-1] + 1 + rng.IntN(specCapacity[v]-specCapacity[v-1])
			b := make([]byte, n)
			for i := range b {
				b[i] = byte('!' + rng.IntN(94))
			}
			c, err := encode(b, v, mask)
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(dir, "v"+string(rune('0'+v/10))+string(rune('0'+v%10))+"m"+string(rune('0'+mask))+".png")
			if err := os.WriteFile(f, c.png(t, 4), 0o644); err != nil {
				t.Fatal(err)
			}
			samples = append(samples, sample{f, string(b)})
		}
	}
	for _, s := range samples {
		out, err := exec.Command(zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", s.file).Output()
		if err != nil {
			t.Errorf("%s: zbarimg: %v", filepath.Base(s.file), err)
			continue
		}
		if got := strings.TrimSuffix(string(out), "\n"); got != s.text {
			t.Errorf("%s: zbarimg read %q, want %q", filepath.Base(s.file), got, s.text)
		}
	}
	// And Encode's own choice, on what KSP encodes.
	uri := "otpauth://totp/KSP:ada%40clipshare.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=KSP&algorithm=SHA1&digits=6&period=30"
	c, err := Encode([]byte(uri))
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "uri.png")
	if err := os.WriteFile(f, c.png(t, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", f).Output()
	if err != nil || strings.TrimSpace(string(out)) != uri {
		t.Fatalf("zbarimg: %v %q", err, out)
	}
}
