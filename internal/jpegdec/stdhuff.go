package jpegdec

import "encoding/hex"

// The example Huffman tables of ITU-T T.81 Annex K.3, which libjpeg-turbo
// uses for tables 0 and 1 of sequential files that do not define them
// (Motion-JPEG frames): code-length counts (16 bytes) and symbols, in hex.
var stdHuffSpecs = [4]struct{ counts, symbols string }{
	// DC table 0 (luminance).
	{"00010501010101010100000000000000",
		"000102030405060708090a0b"},
	// DC table 1 (chrominance).
	{"00030101010101010101010000000000",
		"000102030405060708090a0b"},
	// AC table 0 (luminance).
	{"0002010303020403050504040000017d",
		"01020300041105122131410613516107227114328191a1082342b1c11552d1f0" +
			"2433627282090a161718191a25262728292a3435363738393a43444546474849" +
			"4a535455565758595a636465666768696a737475767778797a83848586878889" +
			"8a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5" +
			"c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8" +
			"f9fa"},
	// AC table 1 (chrominance).
	{"00020102040403040705040400010277",
		"000102031104052131061241510761711322328108144291a1b1c109233352f0" +
			"156272d10a162434e125f11718191a262728292a35363738393a434445464748" +
			"494a535455565758595a636465666768696a737475767778797a828384858687" +
			"88898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3" +
			"c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8" +
			"f9fa"},
}

// stdHuff holds the tables built from stdHuffSpecs: DC 0, DC 1, AC 0, AC 1.
var stdHuff = func() (t [4]huffTable) {
	for i, s := range stdHuffSpecs {
		c, err1 := hex.DecodeString(s.counts)
		v, err2 := hex.DecodeString(s.symbols)
		var counts [17]int
		for l := 1; l <= 16; l++ {
			counts[l] = int(c[l-1])
		}
		if err1 != nil || err2 != nil || t[i].build(&counts, v) != nil {
			panic("jpegdec: bad standard Huffman table")
		}
	}
	return t
}()
