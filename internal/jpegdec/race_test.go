//go:build race

package jpegdec

// raceEnabled is set in race-detector builds, where decoding is several
// times slower: the corpus test leaves out its largest images.
const raceEnabled = true
