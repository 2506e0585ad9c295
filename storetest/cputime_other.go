//go:build !unix

package storetest

import "time"

// processCPU is not measured here: benchmarks then report no cpu-ms.
func processCPU() time.Duration { return 0 }
