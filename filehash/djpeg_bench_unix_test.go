//go:build unix

package filehash

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kspplatform/ksp/pdq"
)

// BenchmarkDecodeHashJPEG1024x768Djpeg and …4000x3000Djpeg decode with a
// djpeg process (libjpeg-turbo, what Meta's tool links) and hash its
// pixels: the digests, the luma and PDQ (with the pre-resize) in Go. The
// CPU time counted includes djpeg's.
func BenchmarkDecodeHashJPEG1024x768Djpeg(b *testing.B) {
	benchDjpeg(b, benchJPEG())
}

func BenchmarkDecodeHashJPEG4000x3000Djpeg(b *testing.B) {
	benchDjpeg(b, benchJPEG4000())
}

func benchDjpeg(b *testing.B, data []byte) {
	djpeg, err := exec.LookPath("djpeg")
	if err != nil {
		b.Skip("djpeg not installed (libjpeg-turbo-progs)")
	}
	path := filepath.Join(b.TempDir(), "in.jpg")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTimeWithChildren()
	for b.Loop() {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		md5Hex(raw)
		sha256Hex(raw)
		out, err := exec.Command(djpeg, "-pnm", path).Output()
		if err != nil {
			b.Fatal(err)
		}
		w, h, pix := parsePPM(b, out)
		luma := make([]float32, w*h)
		for i := range luma {
			luma[i] = pdq.RGBLuma(pix[3*i], pix[3*i+1], pix[3*i+2])
		}
		if _, _, err := pdq.HashLuma(w, h, luma, pdq.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s/core")
	if cpu := cpuTimeWithChildren() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "images/cpu-s")
	}
}

// cpuTimeWithChildren is the CPU time of the process and of its waited-for
// children.
func cpuTimeWithChildren() time.Duration {
	var self, children syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) != nil || syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children) != nil {
		return 0
	}
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + children.Utime.Nano() + children.Stime.Nano())
}

// parsePPM reads djpeg's binary PPM (P6, maxval 255).
func parsePPM(b *testing.B, data []byte) (w, h int, pix []byte) {
	var f [3]int
	i := 2
	for k := range f {
		for data[i] == ' ' || data[i] == '\n' {
			i++
		}
		j := i
		for data[j] >= '0' && data[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(string(data[i:j]))
		if err != nil {
			b.Fatal(err)
		}
		f[k], i = n, j
	}
	if string(data[:2]) != "P6" || len(data)-i-1 != 3*f[0]*f[1] {
		b.Fatal("djpeg output is not the expected P6")
	}
	return f[0], f[1], data[i+1:]
}
