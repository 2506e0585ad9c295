package jpegdec

// The accurate integer inverse DCT of libjpeg ("islow"): the
// Loeffler–Ligtenberg–Moschytz factorisation with 13-bit fixed-point
// constants, a column pass keeping 2 extra bits of precision, and a row
// pass. It is split so that the row pass can run for single rows: the
// column pass of a block fills a 64-entry workspace, and idctRow turns one
// of its rows into 8 samples.

const (
	constBits = 13
	pass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// rangeLimit maps the row pass's output (masked to 10 bits, so that wild
// values wrap as libjpeg's table makes them) to a sample: x in [-128, 127]
// gives x+128, larger values 255, smaller ones 0.
var rangeLimit = func() (t [1024]uint8) {
	for i := range t {
		x := i
		if i >= 512 {
			x = i - 1024
		}
		t[i] = uint8(min(max(x+128, 0), 255))
	}
	return t
}()

// idctCols is the column pass: coef (natural order) dequantised by q into
// ws.
func idctCols(coef *[64]int16, q *[64]int32, ws *[64]int32) {
	for col := 0; col < 8; col++ {
		if coef[8+col] == 0 && coef[16+col] == 0 && coef[24+col] == 0 && coef[32+col] == 0 &&
			coef[40+col] == 0 && coef[48+col] == 0 && coef[56+col] == 0 {
			dc := (int32(coef[col]) * q[col]) << pass1Bits
			for r := 0; r < 64; r += 8 {
				ws[r+col] = dc
			}
			continue
		}
		// Even part.
		z2 := int64(int32(coef[16+col]) * q[16+col])
		z3 := int64(int32(coef[48+col]) * q[48+col])
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 - z3*fix1_847759065
		tmp3 := z1 + z2*fix0_765366865
		z2 = int64(int32(coef[col]) * q[col])
		z3 = int64(int32(coef[32+col]) * q[32+col])
		tmp0 := (z2 + z3) << constBits
		tmp1 := (z2 - z3) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		// Odd part.
		t0 := int64(int32(coef[56+col]) * q[56+col])
		t1 := int64(int32(coef[40+col]) * q[40+col])
		t2 := int64(int32(coef[24+col]) * q[24+col])
		t3 := int64(int32(coef[8+col]) * q[8+col])
		o0, o1, o2, o3 := oddPart(t0, t1, t2, t3)
		const sh = constBits - pass1Bits
		const rnd = 1 << (sh - 1)
		ws[col] = int32((tmp10 + o3 + rnd) >> sh)
		ws[56+col] = int32((tmp10 - o3 + rnd) >> sh)
		ws[8+col] = int32((tmp11 + o2 + rnd) >> sh)
		ws[48+col] = int32((tmp11 - o2 + rnd) >> sh)
		ws[16+col] = int32((tmp12 + o1 + rnd) >> sh)
		ws[40+col] = int32((tmp12 - o1 + rnd) >> sh)
		ws[24+col] = int32((tmp13 + o0 + rnd) >> sh)
		ws[32+col] = int32((tmp13 - o0 + rnd) >> sh)
	}
}

// oddPart is the odd half of the 8-point transform, from inputs 7, 5, 3, 1.
func oddPart(t0, t1, t2, t3 int64) (int64, int64, int64, int64) {
	z1 := t0 + t3
	z2 := t1 + t2
	z3 := t0 + t2
	z4 := t1 + t3
	z5 := (z3 + z4) * fix1_175875602
	t0 *= fix0_298631336
	t1 *= fix2_053119869
	t2 *= fix3_072711026
	t3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 = z3*-fix1_961570560 + z5
	z4 = z4*-fix0_390180644 + z5
	return t0 + z1 + z3, t1 + z2 + z4, t2 + z2 + z3, t3 + z1 + z4
}

// idctRow is the row pass for one workspace row w (8 entries), writing 8
// samples to out.
func idctRow(w []int32, out []uint8) {
	w = w[:8]
	out = out[:8]
	const sh = constBits + pass1Bits + 3
	const rnd = 1 << (sh - 1)
	if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
		v := rangeLimit[((int64(w[0])+(1<<(pass1Bits+2)))>>(pass1Bits+3))&1023]
		for i := range out {
			out[i] = v
		}
		return
	}
	z2, z3 := int64(w[2]), int64(w[6])
	z1 := (z2 + z3) * fix0_541196100
	tmp2 := z1 - z3*fix1_847759065
	tmp3 := z1 + z2*fix0_765366865
	tmp0 := (int64(w[0]) + int64(w[4])) << constBits
	tmp1 := (int64(w[0]) - int64(w[4])) << constBits
	tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
	tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
	o0, o1, o2, o3 := oddPart(int64(w[7]), int64(w[5]), int64(w[3]), int64(w[1]))
	out[0] = rangeLimit[((tmp10+o3+rnd)>>sh)&1023]
	out[7] = rangeLimit[((tmp10-o3+rnd)>>sh)&1023]
	out[1] = rangeLimit[((tmp11+o2+rnd)>>sh)&1023]
	out[6] = rangeLimit[((tmp11-o2+rnd)>>sh)&1023]
	out[2] = rangeLimit[((tmp12+o1+rnd)>>sh)&1023]
	out[5] = rangeLimit[((tmp12-o1+rnd)>>sh)&1023]
	out[3] = rangeLimit[((tmp13+o0+rnd)>>sh)&1023]
	out[4] = rangeLimit[((tmp13-o0+rnd)>>sh)&1023]
}
