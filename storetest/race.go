//go:build race

package storetest

// raceDetector is set when the race detector is on: the model-based test
// then takes a tenth of its steps (each is many times slower).
const raceDetector = true
