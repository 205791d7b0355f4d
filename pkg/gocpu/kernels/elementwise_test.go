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

// TestExtremeAndSignF32: max, min and sign on both kernels against scalar
// rules, NaN, infinities and signed zeros included, on tail lengths.
func TestExtremeAndSignF32(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2.5, -3.5, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -1e-40}
	r := rand.New(rand.NewPCG(5, 6))
	same := func(a, b float32) bool {
		return (a != a && b != b) || (a == b && math.Signbit(float64(a)) == math.Signbit(float64(b)))
	}
	for _, generic := range kernelsUnderTest() {
		for _, n := range []int{1, 7, 8, 9, 17, 64, 100} {
			t.Run(fmt.Sprintf("generic=%v/n=%d", generic, n), func(t *testing.T) {
				withKernel(t, generic, func() {
					x, y := make([]float32, n), make([]float32, n)
					for i := range x {
						x[i], y[i] = vals[r.IntN(len(vals))], vals[r.IntN(len(vals))]
					}
					zmax, zmin, s := make([]float32, n), make([]float32, n), make([]float32, n)
					MaxF32(zmax, x, y)
					MinF32(zmin, x, y)
					SignF32(s, x)
					for i := range x {
						a, b := x[i], y[i]
						wantMax, wantMin := max(a, b), min(a, b)
						if a != a || b != b {
							wantMax, wantMin = float32(math.NaN()), float32(math.NaN())
						}
						// ±0 compare equal: either zero is a right answer.
						if a == 0 && b == 0 {
							wantMax, wantMin = zmax[i], zmin[i]
						}
						if !same(zmax[i], wantMax) || !same(zmin[i], wantMin) {
							t.Fatalf("max/min(%g, %g) = %g, %g, want %g, %g", a, b, zmax[i], zmin[i], wantMax, wantMin)
						}
						wantSign := a
						if a > 0 {
							wantSign = 1
						} else if a < 0 {
							wantSign = -1
						}
						if !same(s[i], wantSign) {
							t.Fatalf("sign(%g) = %g, want %g", a, s[i], wantSign)
						}
					}
				})
			})
		}
	}
}

// TestSumAndFillF32: sums against float64 sums on both kernels and tail
// lengths; fills of every length up to 70.
func TestSumAndFillF32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, generic := range kernelsUnderTest() {
		for _, n := range []int{0, 1, 31, 32, 33, 100, 1000, 4099} {
			withKernel(t, generic, func() {
				x := make([]float32, n)
				var want, scale float64
				for i := range x {
					x[i] = float32(r.NormFloat64())
					want += float64(x[i])
					scale += math.Abs(float64(x[i]))
				}
				if got := SumF32(x); math.Abs(float64(got)-want) > 1e-6*scale+1e-7 {
					t.Fatalf("generic=%v n=%d: sum %g, want %g", generic, n, got, want)
				}
			})
		}
	}
	for n := 0; n <= 70; n++ {
		x := make([]float32, n+1)
		x[n] = 7
		FillF32(x[:n], 2.5)
		for i := 0; i < n; i++ {
			if x[i] != 2.5 {
				t.Fatalf("fill of %d: x[%d] = %g", n, i, x[i])
			}
		}
		if x[n] != 7 {
			t.Fatalf("fill of %d wrote past the end", n)
		}
	}
	for _, n := range []int{3, 64} {
		x := make([]float32, n)
		x[n/2] = float32(math.NaN())
		if nan := SumF32(x); nan == nan {
			t.Fatalf("sum of %d with a NaN = %g, want NaN", n, nan)
		}
	}
}
