package main

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvReferenceGradients checks the loop reference's gradients of L = ½Σy² against
// central finite differences, so that the probe's verdict on a GPU rests on a checked reference.
func TestConvReferenceGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, cB*cC*cH*cW)
	k := make([]float64, cO*cC*cK*cK)
	for i := range x {
		x[i] = 2*r.Float64() - 1
	}
	for i := range k {
		k[i] = 2*r.Float64() - 1
	}
	loss := func() float64 {
		y, _, _ := convReference(x, k)
		s := 0.0
		for _, v := range y {
			s += v * v / 2
		}
		return s
	}
	_, gk, gx := convReference(x, k)
	const h = 1e-5
	check := func(name string, p []float64, g []float64, idx []int) {
		for _, i := range idx {
			old := p[i]
			p[i] = old + h
			up := loss()
			p[i] = old - h
			down := loss()
			p[i] = old
			fd := (up - down) / (2 * h)
			if math.Abs(fd-g[i]) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s[%d]: reference %g, finite difference %g", name, i, g[i], fd)
			}
		}
	}
	check("dk", k, gk, []int{0, 1, 13, len(k) - 1})
	check("dx", x, gx, []int{0, cW - 1, cH * cW, 5*cW + 7, len(x) - 1})
}
