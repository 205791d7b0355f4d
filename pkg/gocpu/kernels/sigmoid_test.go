package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestSigmoidF32 checks both kernels against 1/(1+e^-x) in float64 over the
// range, at its edges, on NaN and infinities, and on lengths that leave a
// tail for the Go loop.
func TestSigmoidF32(t *testing.T) {
	var xs []float32
	for x := float32(-120); x < 120; x += 0.0173 {
		xs = append(xs, x)
	}
	xs = append(xs, 0, -87, 87, -88, 88, -88.5, 88.5, 89, -89, 1e-30, -1e-30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()))
	for _, generic := range kernelsUnderTest() {
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, len(xs)} {
			t.Run(fmt.Sprintf("generic=%v/n=%d", generic, n), func(t *testing.T) {
				withKernel(t, generic, func() {
					x := xs[len(xs)-n:]
					y := make([]float32, n)
					SigmoidF32(y, x)
					for i, v := range x {
						if v != v {
							if y[i] == y[i] {
								t.Fatalf("sigmoid(NaN) = %g, want NaN", y[i])
							}
							continue
						}
						want := 1 / (1 + math.Exp(-float64(v)))
						// Below float32's normal range, 0 is as good.
						if math.Abs(float64(y[i])-want) > 3e-7*want+1.2e-38 {
							t.Fatalf("sigmoid(%g) = %g, want %g", v, y[i], want)
						}
					}
				})
			})
		}
	}
}

// TestExpF32 compares ExpF32 with math.Exp over the float32 range, edges
// included.
func TestExpF32(t *testing.T) {
	xs := []float32{0, 1, -1, 0.5, -0.5, 88.7, 88.72, 89, -87, -88, -100, -103.9, -104, -200,
		float32(math.Inf(1)), float32(math.Inf(-1)), 1e-8, -1e-8, 10.25, -20.75}
	for x := float32(-103); x < 88.7; x += 0.0137 {
		xs = append(xs, x)
	}
	for _, x := range xs {
		got, want := float64(ExpF32(x)), math.Exp(float64(x))
		if w32 := float32(want); w32 == 0 || math.IsInf(float64(w32), 0) {
			if float64(w32) != got && math.Abs(got-want) > 1e-44 {
				t.Errorf("ExpF32(%g) = %g, want %g", x, got, want)
			}
			continue
		}
		tol := 3e-7 * want
		if want < 1.2e-38 { // subnormal results keep fewer bits
			tol = 3e-45
		}
		if math.Abs(got-want) > tol {
			t.Errorf("ExpF32(%g) = %g, want %g (relative error %.2g)", x, got, want, math.Abs(got-want)/want)
		}
	}
	if nan := ExpF32(float32(math.NaN())); nan == nan {
		t.Errorf("ExpF32(NaN) = %g, want NaN", nan)
	}
}

func BenchmarkSigmoidF32(b *testing.B) {
	for _, generic := range kernelsUnderTest() {
		b.Run(fmt.Sprintf("generic=%v", generic), func(b *testing.B) {
			withKernel(b, generic, func() {
				x := make([]float32, 1<<16)
				for i := range x {
					x[i] = float32(i%200-100) / 10
				}
				y := make([]float32, len(x))
				for b.Loop() {
					SigmoidF32(y, x)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
			})
		})
	}
}
