package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestArithF32 checks the four operations, on both kernels, in every layout
// (vector with vector, vector with a single value on either side, two
// single values), on lengths around the vector width, in place too, with
// infinities, NaN and division by zero among the values.
func TestArithF32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fns := map[string]struct {
		f   func(z, x, y []float32)
		ref func(a, b float32) float32
	}{
		"add": {AddF32, func(a, b float32) float32 { return a + b }},
		"sub": {SubF32, func(a, b float32) float32 { return a - b }},
		"mul": {MulF32, func(a, b float32) float32 { return a * b }},
		"div": {DivF32, func(a, b float32) float32 { return a / b }},
	}
	special := []float32{0, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), -0.0, 1e-40}
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
			if r.IntN(10) == 0 {
				v[i] = special[r.IntN(len(special))]
			}
		}
		return v
	}
	same := func(a, b float32) bool { return a == b || (a != a && b != b) }
	for _, generic := range kernelsUnderTest() {
		for name, fn := range fns {
			for _, n := range []int{1, 3, 7, 8, 9, 31, 32, 33, 70, 1024} {
				for _, layout := range []string{"vv", "vs", "sv", "ss", "inplace"} {
					t.Run(fmt.Sprintf("generic=%v/%s/n=%d/%s", generic, name, n, layout), func(t *testing.T) {
						withKernel(t, generic, func() {
							x, y := vec(n), vec(n)
							switch layout {
							case "vs":
								y = y[:1]
							case "sv":
								x = x[:1]
							case "ss":
								x, y = x[:1], y[:1]
							}
							z := make([]float32, n)
							if layout == "inplace" {
								z = x
							}
							at := func(v []float32, i int) float32 {
								if len(v) == 1 {
									return v[0]
								}
								return v[i]
							}
							want := make([]float32, n)
							for i := range want {
								want[i] = fn.ref(at(x, i), at(y, i))
							}
							fn.f(z, x, y)
							for i := range z {
								if !same(z[i], want[i]) {
									t.Fatalf("element %d: %g op %g = %g, want %g", i, at(x, i), at(y, i), z[i], want[i])
								}
							}
						})
					})
				}
			}
		}
	}
}

func BenchmarkArithF32(b *testing.B) {
	for _, generic := range kernelsUnderTest() {
		b.Run(fmt.Sprintf("generic=%v", generic), func(b *testing.B) {
			withKernel(b, generic, func() {
				x, y, z := make([]float32, 1024), make([]float32, 1024), make([]float32, 1024)
				for i := range x {
					x[i], y[i] = float32(i), float32(i+1)
				}
				for b.Loop() {
					MulF32(z, x, y)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
			})
		})
	}
}
