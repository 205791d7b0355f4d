package gocpu

import "math"

// expf32 is e^x in float32 within about one unit in the last place: the
// argument is reduced to r = x - n·ln2 (|r| ≤ ln2/2, ln2 split in two parts
// so the product is exact), e^r is a degree-6 polynomial (the minimax
// coefficients of the Cephes library's expf), and 2^n is put in the
// exponent bits. It is several times faster than converting to float64 for
// math.Exp, and inlines into the loops that call it.
func expf32(x float32) float32 {
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
