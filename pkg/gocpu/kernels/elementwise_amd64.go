//go:build amd64 && !purego

package kernels

//go:noescape
func addVecAVX2(z, x, y *float32, n int)

//go:noescape
func subVecAVX2(z, x, y *float32, n int)

//go:noescape
func mulVecAVX2(z, x, y *float32, n int)

//go:noescape
func divVecAVX2(z, x, y *float32, n int)

//go:noescape
func addScalarAVX2(z, x *float32, s float32, n int)

//go:noescape
func subScalarAVX2(z, x *float32, s float32, n int)

//go:noescape
func mulScalarAVX2(z, x *float32, s float32, n int)

//go:noescape
func divScalarAVX2(z, x *float32, s float32, n int)

//go:noescape
func addRevScalarAVX2(z, x *float32, s float32, n int)

//go:noescape
func subRevScalarAVX2(z, x *float32, s float32, n int)

//go:noescape
func mulRevScalarAVX2(z, x *float32, s float32, n int)

//go:noescape
func divRevScalarAVX2(z, x *float32, s float32, n int)

var (
	vecKernels    = [...]func(z, x, y *float32, n int){addVecAVX2, subVecAVX2, mulVecAVX2, divVecAVX2}
	scalarKernels = [...]func(z, x *float32, s float32, n int){addScalarAVX2, subScalarAVX2, mulScalarAVX2, divScalarAVX2}
	revKernels    = [...]func(z, x *float32, s float32, n int){addRevScalarAVX2, subRevScalarAVX2, mulRevScalarAVX2, divRevScalarAVX2}
)

// arithArch runs the AVX2 kernel over the longest multiple of 8 of z and
// returns how many values it did (0 without AVX2, or for two single values).
func arithArch(op arithOp, z, x, y []float32) int {
	if !hasAVX2FMA() {
		return 0
	}
	n := len(z) &^ 7
	switch {
	case len(x) == len(z) && len(y) == len(z):
		vecKernels[op](&z[0], &x[0], &y[0], n)
	case len(y) == 1 && len(x) == len(z):
		scalarKernels[op](&z[0], &x[0], y[0], n)
	case len(x) == 1 && len(y) == len(z):
		revKernels[op](&z[0], &y[0], x[0], n)
	default:
		return 0
	}
	return n
}

// hasVectorArith: the CPU runs the AVX2 kernels.
var hasVectorArith = hasAVX2FMA()

//go:noescape
func maxVecAVX2(z, x, y *float32, n int)

//go:noescape
func minVecAVX2(z, x, y *float32, n int)

//go:noescape
func signAVX2(y, x *float32, n int)

// extremeArch is max (or min) of equal-length vectors over the longest
// multiple of 8; it returns how many values it did.
func extremeArch(isMax bool, z, x, y []float32) int {
	n := len(z) &^ 7
	if n == 0 || !hasAVX2FMA() {
		return 0
	}
	if isMax {
		maxVecAVX2(&z[0], &x[0], &y[0], n)
	} else {
		minVecAVX2(&z[0], &x[0], &y[0], n)
	}
	return n
}

// signArch is SignF32 over the longest multiple of 8 of x.
func signArch(y, x []float32) int {
	n := len(x) &^ 7
	if n == 0 || !hasAVX2FMA() {
		return 0
	}
	signAVX2(&y[0], &x[0], n)
	return n
}

//go:noescape
func sumAVX2(x *float32, n int) float32

// sumArch sums the longest multiple of 32 of x; it returns the sum and how
// many values it took.
func sumArch(x []float32) (float32, int) {
	n := len(x) &^ 31
	if n == 0 || !hasAVX2FMA() {
		return 0, 0
	}
	return sumAVX2(&x[0], n), n
}
