package kernels

import "math"

// SigmoidF32 computes y[i] = 1/(1+e^-x[i]) within about 3e-7 relative (a
// value below float32's normal range may come out as 0; NaN stays NaN):
// eight at a time with AVX2+FMA where the CPU has them (and the generic
// kernel is not forced), in Go otherwise. y must be at least as long as x.
func SigmoidF32(y, x []float32) {
	y = y[:len(x)]
	n := 0
	if curF32.Load() != genericF32 {
		n = sigmoidArch(y, x)
	}
	sigmoidGeneric(y[n:], x[n:])
}

// sigmoidGeneric is SigmoidF32 in Go: ExpF32 inlined by hand, so that the
// processor overlaps iterations; the rare arguments out of range call it.
func sigmoidGeneric(y, x []float32) {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	y = y[:len(x)]
	for i, v := range x {
		v = -v
		if !(v > -87 && v < 88) { // rare: overflow, underflow, NaN
			y[i] = 1 / (1 + ExpF32(v))
			continue
		}
		t := v*log2e + 0.5
		k := int32(t)
		if float32(k) > t {
			k--
		}
		n := float32(k)
		r := v - n*ln2hi - n*ln2lo
		r2 := r * r
		// Estrin: shorter dependency chains than Horner.
		p01 := float32(5.0000001201e-1) + r*1.6666665459e-1
		p23 := float32(4.1665795894e-2) + r*8.3334519073e-3
		p45 := float32(1.3981999507e-3) + r*1.9875691500e-4
		p := p01 + r2*(p23+r2*p45)
		e := (p*r2 + r + 1) * math.Float32frombits(uint32(k+127)<<23)
		y[i] = 1 / (1 + e)
	}
}

// ExpF32 is e^x in float32 within about one unit in the last place: the
// argument is reduced to r = x - n·ln2 (|r| ≤ ln2/2, ln2 split in two parts
// so the product is exact), e^r is a degree-6 polynomial (the minimax
// coefficients of the Cephes library's expf), and 2^n is put in the
// exponent bits.
func ExpF32(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	switch {
	case x > 88.72283905206835:
		return float32(math.Inf(1))
	case x < -103.972077083991796:
		return 0
	case x != x:
		return x
	}
	t := x*log2e + 0.5
	k := int32(t) // truncation; floor for negative t below
	if float32(k) > t {
		k--
	}
	n := float32(k)
	r := x - n*ln2hi - n*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	if k < -125 { // 2^k is subnormal: scale in two steps
		return y * math.Float32frombits(uint32(k+126+127)<<23) * math.Float32frombits(uint32(-126+127)<<23)
	}
	if k > 127 {
		return y * 2 * math.Float32frombits(uint32(k-1+127)<<23)
	}
	return y * math.Float32frombits(uint32(k+127)<<23)
}
