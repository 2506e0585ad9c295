//go:build race

package filehash

// raceEnabled is set in race-detector builds, whose instrumentation changes
// what the decoders allocate (some allocations the compiler otherwise
// elides are made).
const raceEnabled = true
