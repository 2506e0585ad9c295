//go:build !race

package filehash

// raceEnabled is set in race-detector builds (see race_test.go).
const raceEnabled = false
