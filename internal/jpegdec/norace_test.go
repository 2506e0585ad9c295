//go:build !race

package jpegdec

// raceEnabled is set in race-detector builds (see race_test.go).
const raceEnabled = false
