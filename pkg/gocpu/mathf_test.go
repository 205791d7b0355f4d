package gocpu

import (
	"math"
	"testing"
)

// TestExpf32 compares expf32 with math.Exp over the float32 range, edges
// included.
func TestExpf32(t *testing.T) {
	xs := []float32{0, 1, -1, 0.5, -0.5, 88.7, 88.72, 89, -87, -88, -100, -103.9, -104, -200,
		float32(math.Inf(1)), float32(math.Inf(-1)), 1e-8, -1e-8, 10.25, -20.75}
	for x := float32(-103); x < 88.7; x += 0.0137 {
		xs = append(xs, x)
	}
	for _, x := range xs {
		got, want := float64(expf32(x)), math.Exp(float64(x))
		if w32 := float32(want); w32 == 0 || math.IsInf(float64(w32), 0) {
			if float64(w32) != got && math.Abs(got-want) > 1e-44 {
				t.Errorf("expf32(%g) = %g, want %g", x, got, want)
			}
			continue
		}
		// Subnormal results keep fewer bits: compare absolutely there.
		tol := 3e-7 * want
		if want < 1.2e-38 {
			tol = 3e-45
		}
		if math.Abs(got-want) > tol {
			t.Errorf("expf32(%g) = %g, want %g (relative error %.2g)", x, got, want, math.Abs(got-want)/want)
		}
	}
	if nan := expf32(float32(math.NaN())); nan == nan {
		t.Errorf("expf32(NaN) = %g, want NaN", nan)
	}
}

// TestLogisticF32 compares the hand-inlined sigmoid with 1/(1+e^-x) in float64.
func TestLogisticF32(t *testing.T) {
	var xs []float32
	for x := float32(-120); x < 120; x += 0.0173 {
		xs = append(xs, x)
	}
	xs = append(xs, 0, -87, 87, -88, 88, 89, -89, float32(math.Inf(1)), float32(math.Inf(-1)))
	ys := make([]float32, len(xs))
	logisticF32(ys, xs)
	for i, x := range xs {
		want := 1 / (1 + math.Exp(-float64(x)))
		if math.Abs(float64(ys[i])-want) > 3e-7*want+1.2e-38 { // below float32's normal range, 0 is as good
			t.Errorf("logistic(%g) = %g, want %g", x, ys[i], want)
		}
	}
	nan := []float32{float32(math.NaN())}
	logisticF32(nan, nan)
	if nan[0] == nan[0] {
		t.Errorf("logistic(NaN) = %g, want NaN", nan[0])
	}
}
