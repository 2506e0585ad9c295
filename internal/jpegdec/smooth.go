package jpegdec

// setupSmoothing decides whether progressive block smoothing applies.
func (d *Decoder) setupSmoothing() {
	d.smoothing = false
}

func (d *Decoder) smoothBlock(c *component, bx, by int, dst *[64]int16) *[64]int16 {
	return (*[64]int16)(c.coef[(by*c.bw+bx)*64:][:64])
}
