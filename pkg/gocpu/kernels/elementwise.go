package kernels

// Element-wise float32 arithmetic, z = x op y, where x and y are each as
// long as z or a single (broadcast) value: eight values per instruction
// with AVX2 where the CPU has it (and the generic kernels are not forced),
// a Go loop for the tails and elsewhere. Used by the engine's element-wise
// ops and fused passes, whose tiles stay in the L1 cache, where the
// vector width pays in full.

// HasVectorArith tells whether AddF32 and the others run on vector
// instructions here (else they are plain Go loops, no faster than the
// caller's own).
func HasVectorArith() bool { return curF32.Load() != genericF32 && hasVectorArith }

// AddF32 is z = x + y.
func AddF32(z, x, y []float32) { arith(opAdd, z, x, y) }

// SubF32 is z = x - y.
func SubF32(z, x, y []float32) { arith(opSub, z, x, y) }

// MulF32 is z = x · y.
func MulF32(z, x, y []float32) { arith(opMul, z, x, y) }

// DivF32 is z = x / y.
func DivF32(z, x, y []float32) { arith(opDiv, z, x, y) }

type arithOp int

const (
	opAdd arithOp = iota
	opSub
	opMul
	opDiv
)

func apply(op arithOp, a, b float32) float32 {
	switch op {
	case opAdd:
		return a + b
	case opSub:
		return a - b
	case opMul:
		return a * b
	}
	return a / b
}

// arith checks the layouts, runs the vector kernel over the longest
// multiple of 8 it can, and the Go loop over the rest.
func arith(op arithOp, z, x, y []float32) {
	n := len(z)
	if (len(x) != n && len(x) != 1) || (len(y) != n && len(y) != 1) {
		panic("kernels: element-wise operands must have the output's length or one value")
	}
	done := 0
	if n >= 8 && curF32.Load() != genericF32 {
		done = arithArch(op, z, x, y)
	}
	switch {
	case len(x) == n && len(y) == n:
		x, y := x[done:n], y[done:n]
		for i := range x {
			z[done+i] = apply(op, x[i], y[i])
		}
	case len(y) == 1 && len(x) == n:
		s := y[0]
		for i, v := range x[done:n] {
			z[done+i] = apply(op, v, s)
		}
	case len(x) == 1 && len(y) == n:
		s := x[0]
		for i, v := range y[done:n] {
			z[done+i] = apply(op, s, v)
		}
	default: // both single values (z of length 1, or a broadcast of one)
		v := apply(op, x[0], y[0])
		for i := done; i < n; i++ {
			z[i] = v
		}
	}
}

// MaxF32 is z = max(x, y) for vectors of z's length; a NaN in either gives
// NaN, as in XLA.
func MaxF32(z, x, y []float32) { extreme(true, z, x, y) }

// MinF32 is z = min(x, y), as MaxF32.
func MinF32(z, x, y []float32) { extreme(false, z, x, y) }

func extreme(isMax bool, z, x, y []float32) {
	n := len(z)
	x, y = x[:n], y[:n]
	done := 0
	if curF32.Load() != genericF32 {
		done = extremeArch(isMax, z, x, y)
	}
	for i := done; i < n; i++ {
		a, b := x[i], y[i]
		switch {
		case a != a || b != b:
			z[i] = a + b // NaN
		case isMax:
			z[i] = max(a, b)
		default:
			z[i] = min(a, b)
		}
	}
}

// SignF32 is y = 1 for x > 0, -1 for x < 0, x itself for ±0 and NaN.
func SignF32(y, x []float32) {
	y = y[:len(x)]
	done := 0
	if curF32.Load() != genericF32 {
		done = signArch(y, x)
	}
	for i := done; i < len(x); i++ {
		switch v := x[i]; {
		case v > 0:
			y[i] = 1
		case v < 0:
			y[i] = -1
		default:
			y[i] = v
		}
	}
}

// SumF32 returns the sum of x (in an order of its own: eight lanes and four
// accumulators on AVX2, so the last bits may differ from a loop's).
func SumF32(x []float32) float32 {
	var sum float32
	done := 0
	if curF32.Load() != genericF32 {
		sum, done = sumArch(x)
	}
	for _, v := range x[done:] {
		sum += v
	}
	return sum
}

// FillF32 sets every value of x to v, by doubling copies.
func FillF32(x []float32, v float32) {
	if len(x) == 0 {
		return
	}
	x[0] = v
	for k := 1; k < len(x); k *= 2 {
		copy(x[k:], x[:k])
	}
}
