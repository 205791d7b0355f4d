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
