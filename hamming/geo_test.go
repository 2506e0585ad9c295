package hamming

import (
	"fmt"
	"testing"
)

func TestShowGeometry(t *testing.T) {
	for _, n := range []int{100000, 1000000, 10000000} {
		g := chooseGeometry(n)
		line := fmt.Sprintf("n=%d %+v scan=%.0fµs:", n, g, costScan*float64(n)/1e3)
		for _, d := range []int{0, 16, 31, 36, 40, 44, 48, 52, 56, 64} {
			_, c := thresholds(n, g, d)
			p := makePlan(n, g, d)
			line += fmt.Sprintf(" d%d=%.0f%s", d, c/1e3, map[bool]string{true: "S", false: ""}[p.scan])
		}
		t.Log(line)
	}
}
