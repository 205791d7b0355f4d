package gocpu

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// number is the element types the numeric kernels take.
type number interface {
	~float32 | ~float64 | ~int32 | ~int64 | ~uint8
}

// float is the floating-point element types.
type float interface{ ~float32 | ~float64 }

// parallelMin is the fewest elements worth a chunk of their own on another
// worker: below it the goroutine hand-off costs more than it saves.
const parallelMin = 1 << 17

// forChunks runs fn over [0,n) in chunks on the pool (or at once when small).
func forChunks(pool *kernels.Pool, n int, fn func(lo, hi int)) {
	if n < 2*parallelMin || pool.Workers() == 1 {
		fn(0, n)
		return
	}
	pool.ParallelFor(n, parallelMin, fn)
}

// part returns x[lo:hi], or x itself when it holds a single (broadcast) value.
func part[T any](x []T, lo, hi int) []T {
	if len(x) == 1 {
		return x
	}
	return x[lo:hi]
}

var unaryOps = map[backends.OpType]bool{}
var binaryOps = map[backends.OpType]bool{}

func init() {
	for _, op := range []backends.OpType{backends.OpTypeAbs, backends.OpTypeNeg, backends.OpTypeExp,
		backends.OpTypeExpm1, backends.OpTypeLog, backends.OpTypeLog1p, backends.OpTypeLogistic,
		backends.OpTypeTanh, backends.OpTypeSqrt, backends.OpTypeRsqrt, backends.OpTypeSign,
		backends.OpTypeFloor, backends.OpTypeCeil, backends.OpTypeRound, backends.OpTypeCos,
		backends.OpTypeSin, backends.OpTypeErf, backends.OpTypeIsFinite, backends.OpTypeIsNaN,
		backends.OpTypeLogicalNot} {
		unaryOps[op] = true
	}
	for _, op := range []backends.OpType{backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul,
		backends.OpTypeDiv, backends.OpTypeMax, backends.OpTypeMin, backends.OpTypePow, backends.OpTypeRem,
		backends.OpTypeEqual, backends.OpTypeNotEqual, backends.OpTypeGreaterThan,
		backends.OpTypeGreaterOrEqual, backends.OpTypeLessThan, backends.OpTypeLessOrEqual,
		backends.OpTypeLogicalAnd, backends.OpTypeLogicalOr, backends.OpTypeLogicalXor} {
		binaryOps[op] = true
	}
}

func isUnary(op backends.OpType) bool  { return unaryOps[op] }
func isBinary(op backends.OpType) bool { return binaryOps[op] }

// isComparison tells whether op compares two numbers into a bool.
func isComparison(op backends.OpType) bool {
	switch op {
	case backends.OpTypeEqual, backends.OpTypeNotEqual, backends.OpTypeGreaterThan,
		backends.OpTypeGreaterOrEqual, backends.OpTypeLessThan, backends.OpTypeLessOrEqual:
		return true
	}
	return false
}

// ---- unary ----

func unaryStep(n *node, in, out int, pool *kernels.Pool) (step, error) {
	switch shapeOf(n, 0).DType {
	case dtypes.Float32:
		return unaryFloat[float32](n.op, in, out, pool)
	case dtypes.Float64:
		return unaryFloat[float64](n.op, in, out, pool)
	case dtypes.Int32:
		return unaryInt[int32](n.op, in, out, pool)
	case dtypes.Int64:
		return unaryInt[int64](n.op, in, out, pool)
	case dtypes.Bool:
		if n.op == backends.OpTypeLogicalNot {
			return func(st *state) {
				x, y := st.vals[in].([]bool), st.vals[out].([]bool)
				for i, v := range x {
					y[i] = !v
				}
			}, nil
		}
	}
	return nil, fmt.Errorf("no unary kernel for %s", shapeOf(n, 0).DType)
}

// floatFunc returns the scalar function of a float unary op.
func floatFunc(op backends.OpType) func(float64) float64 {
	switch op {
	case backends.OpTypeExp:
		return math.Exp
	case backends.OpTypeExpm1:
		return math.Expm1
	case backends.OpTypeLog:
		return math.Log
	case backends.OpTypeLog1p:
		return math.Log1p
	case backends.OpTypeTanh:
		return math.Tanh
	case backends.OpTypeSqrt:
		return math.Sqrt
	case backends.OpTypeRsqrt:
		return func(x float64) float64 { return 1 / math.Sqrt(x) }
	case backends.OpTypeFloor:
		return math.Floor
	case backends.OpTypeCeil:
		return math.Ceil
	case backends.OpTypeRound:
		return math.RoundToEven
	case backends.OpTypeCos:
		return math.Cos
	case backends.OpTypeSin:
		return math.Sin
	case backends.OpTypeErf:
		return math.Erf
	case backends.OpTypeSign:
		return func(x float64) float64 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return x // ±0 and NaN stay
		}
	}
	return nil
}

func unaryFloat[T float](op backends.OpType, in, out int, pool *kernels.Pool) (step, error) {
	switch op {
	case backends.OpTypeIsFinite, backends.OpTypeIsNaN:
		finite := op == backends.OpTypeIsFinite
		return func(st *state) {
			x, y := st.vals[in].([]T), st.vals[out].([]bool)
			for i, v := range x {
				f := float64(v)
				if finite {
					y[i] = !math.IsInf(f, 0) && !math.IsNaN(f)
				} else {
					y[i] = math.IsNaN(f)
				}
			}
		}, nil
	}
	k := unaryKernel[T](op)
	if k == nil {
		return nil, fmt.Errorf("no float kernel")
	}
	return func(st *state) {
		x, y := st.vals[in].([]T), st.vals[out].([]T)
		forChunks(pool, len(x), func(lo, hi int) { k(y[lo:hi], x[lo:hi]) })
	}, nil
}

// unaryKernel returns the slice kernel of a float unary op: y = op(x), or
// nil for the ops that return bools.
func unaryKernel[T float](op backends.OpType) func(y, x []T) {
	switch op {
	case backends.OpTypeNeg:
		return func(y, x []T) {
			y = y[:len(x)]
			for i, v := range x {
				y[i] = -v
			}
		}
	case backends.OpTypeAbs:
		return func(y, x []T) {
			y = y[:len(x)]
			for i, v := range x {
				if v < 0 {
					v = -v
				}
				y[i] = v
			}
		}
	case backends.OpTypeLogistic:
		return logistic[T]
	case backends.OpTypeExp:
		return exp[T]
	case backends.OpTypeSign:
		return func(y, x []T) {
			if x32, ok := any(x).([]float32); ok && kernels.HasVectorArith() {
				kernels.SignF32(any(y).([]float32), x32)
				return
			}
			y = y[:len(x)]
			for i, v := range x {
				switch {
				case v > 0:
					y[i] = 1
				case v < 0:
					y[i] = -1
				default:
					y[i] = v // ±0 and NaN stay
				}
			}
		}
	case backends.OpTypeSqrt, backends.OpTypeRsqrt:
		inverse := op == backends.OpTypeRsqrt
		return func(y, x []T) {
			y = y[:len(x)]
			for i, v := range x {
				r := T(math.Sqrt(float64(v)))
				if inverse {
					r = 1 / r
				}
				y[i] = r
			}
		}
	}
	f := floatFunc(op)
	if f == nil {
		return nil
	}
	return func(y, x []T) {
		y = y[:len(x)]
		for i, v := range x {
			y[i] = T(f(float64(v)))
		}
	}
}

// logistic is 1/(1+e^-x), written so that neither branch overflows.
func logistic[T float](y, x []T) {
	if x32, ok := any(x).([]float32); ok {
		kernels.SigmoidF32(any(y).([]float32), x32)
		return
	}
	for i, v := range x {
		f := float64(v)
		if f >= 0 {
			y[i] = T(1 / (1 + math.Exp(-f)))
		} else {
			e := math.Exp(f)
			y[i] = T(e / (1 + e))
		}
	}
}

// exp is e^x: kernels.ExpF32 for float32, math.Exp for float64.
func exp[T float](y, x []T) {
	if x32, ok := any(x).([]float32); ok {
		y32 := any(y).([]float32)
		y32 = y32[:len(x32)]
		for i, v := range x32 {
			y32[i] = kernels.ExpF32(v)
		}
		return
	}
	for i, v := range x {
		y[i] = T(math.Exp(float64(v)))
	}
}

func unaryInt[T int32 | int64](op backends.OpType, in, out int, pool *kernels.Pool) (step, error) {
	var f func(T) T
	switch op {
	case backends.OpTypeNeg:
		f = func(v T) T { return -v }
	case backends.OpTypeAbs:
		f = func(v T) T {
			if v < 0 {
				return -v
			}
			return v
		}
	case backends.OpTypeSign:
		f = func(v T) T {
			switch {
			case v > 0:
				return 1
			case v < 0:
				return -1
			}
			return 0
		}
	default:
		return nil, fmt.Errorf("no integer kernel")
	}
	return func(st *state) {
		x, y := st.vals[in].([]T), st.vals[out].([]T)
		for i, v := range x {
			y[i] = f(v)
		}
	}, nil
}

// ---- binary ----

func binaryStep(n *node, a, b, out int, pool *kernels.Pool) (step, error) {
	dt := shapeOf(n, 0).DType
	if isComparison(n.op) {
		switch dt {
		case dtypes.Float32:
			return compareStep[float32](n.op, a, b, out, pool)
		case dtypes.Float64:
			return compareStep[float64](n.op, a, b, out, pool)
		case dtypes.Int32:
			return compareStep[int32](n.op, a, b, out, pool)
		case dtypes.Int64:
			return compareStep[int64](n.op, a, b, out, pool)
		case dtypes.Uint8:
			return compareStep[uint8](n.op, a, b, out, pool)
		case dtypes.Bool:
			return boolBinaryStep(n.op, a, b, out)
		}
		return nil, fmt.Errorf("no comparison for %s", dt)
	}
	switch dt {
	case dtypes.Float32:
		return arithStep[float32](n.op, a, b, out, pool, true)
	case dtypes.Float64:
		return arithStep[float64](n.op, a, b, out, pool, true)
	case dtypes.Int32:
		return arithStep[int32](n.op, a, b, out, pool, false)
	case dtypes.Int64:
		return arithStep[int64](n.op, a, b, out, pool, false)
	case dtypes.Uint8:
		return arithStep[uint8](n.op, a, b, out, pool, false)
	case dtypes.Bool:
		return boolBinaryStep(n.op, a, b, out)
	}
	return nil, fmt.Errorf("no binary kernel for %s", dt)
}

func arithStep[T number](op backends.OpType, a, b, out int, pool *kernels.Pool, isFloat bool) (step, error) {
	kernel, err := arithKernel[T](op, isFloat)
	if err != nil {
		return nil, err
	}
	return func(st *state) {
		x, y, z := st.vals[a].([]T), st.vals[b].([]T), st.vals[out].([]T)
		forChunks(pool, len(z), func(lo, hi int) { kernel(z[lo:hi], part(x, lo, hi), part(y, lo, hi)) })
	}, nil
}

// arithKernel returns the slice kernel of a binary arithmetic op: z = x op y,
// each of x and y either len(z) long or a single value.
func arithKernel[T number](op backends.OpType, isFloat bool) (func(z, x, y []T), error) {
	var kernel func(z, x, y []T)
	switch op {
	case backends.OpTypeAdd:
		kernel = addKernel[T]
	case backends.OpTypeSub:
		kernel = subKernel[T]
	case backends.OpTypeMul:
		kernel = mulKernel[T]
	case backends.OpTypeDiv:
		if !isFloat {
			kernel = mapKernel(func(x, y T) T {
				if y == 0 {
					return 0 // simplego's answer would be a panic; XLA's is implementation-defined
				}
				return x / y
			})
		} else {
			kernel = divKernel[T]
		}
	case backends.OpTypeMax:
		kernel = vectorExtreme(true, mapKernel(func(x, y T) T {
			if isFloat && (x != x || y != y) {
				return x + y // NaN
			}
			return max(x, y)
		}))
	case backends.OpTypeMin:
		kernel = vectorExtreme(false, mapKernel(func(x, y T) T {
			if isFloat && (x != x || y != y) {
				return x + y
			}
			return min(x, y)
		}))
	case backends.OpTypePow:
		kernel = mapKernel(func(x, y T) T { return T(math.Pow(float64(x), float64(y))) })
	case backends.OpTypeRem:
		if isFloat {
			kernel = mapKernel(func(x, y T) T { return T(math.Mod(float64(x), float64(y))) })
		} else {
			kernel = mapKernel(func(x, y T) T {
				if y == 0 {
					return 0
				}
				return T(int64(x) % int64(y))
			})
		}
	default:
		return nil, fmt.Errorf("no kernel")
	}
	return kernel, nil
}

// vectorExtreme runs float32 max (min) of two full vectors on the
// kernels' vector code, and everything else on fallback.
func vectorExtreme[T number](isMax bool, fallback func(z, x, y []T)) func(z, x, y []T) {
	return func(z, x, y []T) {
		if z32, ok := any(z).([]float32); ok && len(x) == len(z) && len(y) == len(z) && kernels.HasVectorArith() {
			if isMax {
				kernels.MaxF32(z32, any(x).([]float32), any(y).([]float32))
			} else {
				kernels.MinF32(z32, any(x).([]float32), any(y).([]float32))
			}
			return
		}
		fallback(z, x, y)
	}
}

// mapKernel makes a binary kernel from a scalar function (for the rarer ops).
func mapKernel[T number](f func(x, y T) T) func(z, x, y []T) {
	return func(z, x, y []T) {
		switch {
		case len(x) == len(z) && len(y) == len(z):
			for i := range z {
				z[i] = f(x[i], y[i])
			}
		case len(x) == 1 && len(y) == len(z):
			for i := range z {
				z[i] = f(x[0], y[i])
			}
		case len(x) == len(z) && len(y) == 1:
			for i := range z {
				z[i] = f(x[i], y[0])
			}
		default:
			for i := range z {
				z[i] = f(x[0], y[0])
			}
		}
	}
}

func addKernel[T number](z, x, y []T) {
	if z32, ok := any(z).([]float32); ok && kernels.HasVectorArith() {
		kernels.AddF32(z32, any(x).([]float32), any(y).([]float32))
		return
	}
	switch {
	case len(x) == len(z) && len(y) == len(z):
		y, x = y[:len(z)], x[:len(z)]
		for i := range z {
			z[i] = x[i] + y[i]
		}
	case len(y) == 1:
		s := y[0]
		for i := range z {
			z[i] = part(x, i, i+1)[0] + s
		}
	default:
		s := x[0]
		y = y[:len(z)]
		for i := range z {
			z[i] = s + y[i]
		}
	}
}

func subKernel[T number](z, x, y []T) {
	if z32, ok := any(z).([]float32); ok && kernels.HasVectorArith() {
		kernels.SubF32(z32, any(x).([]float32), any(y).([]float32))
		return
	}
	switch {
	case len(x) == len(z) && len(y) == len(z):
		y, x = y[:len(z)], x[:len(z)]
		for i := range z {
			z[i] = x[i] - y[i]
		}
	case len(y) == 1:
		s := y[0]
		for i := range z {
			z[i] = part(x, i, i+1)[0] - s
		}
	default:
		s := x[0]
		y = y[:len(z)]
		for i := range z {
			z[i] = s - y[i]
		}
	}
}

func mulKernel[T number](z, x, y []T) {
	if z32, ok := any(z).([]float32); ok && kernels.HasVectorArith() {
		kernels.MulF32(z32, any(x).([]float32), any(y).([]float32))
		return
	}
	switch {
	case len(x) == len(z) && len(y) == len(z):
		y, x = y[:len(z)], x[:len(z)]
		for i := range z {
			z[i] = x[i] * y[i]
		}
	case len(y) == 1:
		s := y[0]
		for i := range z {
			z[i] = part(x, i, i+1)[0] * s
		}
	default:
		s := x[0]
		y = y[:len(z)]
		for i := range z {
			z[i] = s * y[i]
		}
	}
}

func divKernel[T number](z, x, y []T) {
	if z32, ok := any(z).([]float32); ok && kernels.HasVectorArith() {
		kernels.DivF32(z32, any(x).([]float32), any(y).([]float32))
		return
	}
	switch {
	case len(x) == len(z) && len(y) == len(z):
		y, x = y[:len(z)], x[:len(z)]
		for i := range z {
			z[i] = x[i] / y[i]
		}
	case len(y) == 1:
		s := y[0]
		for i := range z {
			z[i] = part(x, i, i+1)[0] / s
		}
	default:
		s := x[0]
		y = y[:len(z)]
		for i := range z {
			z[i] = s / y[i]
		}
	}
}

func compareStep[T number](op backends.OpType, a, b, out int, pool *kernels.Pool) (step, error) {
	var f func(x, y T) bool
	switch op {
	case backends.OpTypeEqual:
		f = func(x, y T) bool { return x == y }
	case backends.OpTypeNotEqual:
		f = func(x, y T) bool { return x != y }
	case backends.OpTypeGreaterThan:
		f = func(x, y T) bool { return x > y }
	case backends.OpTypeGreaterOrEqual:
		f = func(x, y T) bool { return x >= y }
	case backends.OpTypeLessThan:
		f = func(x, y T) bool { return x < y }
	case backends.OpTypeLessOrEqual:
		f = func(x, y T) bool { return x <= y }
	}
	return func(st *state) {
		x, y, z := st.vals[a].([]T), st.vals[b].([]T), st.vals[out].([]bool)
		forChunks(pool, len(z), func(lo, hi int) {
			xs, ys, zs := part(x, lo, hi), part(y, lo, hi), z[lo:hi]
			for i := range zs {
				zs[i] = f(part(xs, i, i+1)[0], part(ys, i, i+1)[0])
			}
		})
	}, nil
}

func boolBinaryStep(op backends.OpType, a, b, out int) (step, error) {
	var f func(x, y bool) bool
	switch op {
	case backends.OpTypeLogicalAnd:
		f = func(x, y bool) bool { return x && y }
	case backends.OpTypeLogicalOr:
		f = func(x, y bool) bool { return x || y }
	case backends.OpTypeLogicalXor, backends.OpTypeNotEqual:
		f = func(x, y bool) bool { return x != y }
	case backends.OpTypeEqual:
		f = func(x, y bool) bool { return x == y }
	default:
		return nil, fmt.Errorf("no boolean kernel")
	}
	return func(st *state) {
		x, y, z := st.vals[a].([]bool), st.vals[b].([]bool), st.vals[out].([]bool)
		for i := range z {
			z[i] = f(part(x, i, i+1)[0], part(y, i, i+1)[0])
		}
	}, nil
}

// ---- where, clamp, convert ----

func whereStep(n *node, ins []int, out int, pool *kernels.Pool) (step, error) {
	switch n.shape.DType {
	case dtypes.Float32:
		return whereT[float32](ins, out, pool), nil
	case dtypes.Float64:
		return whereT[float64](ins, out, pool), nil
	case dtypes.Int32:
		return whereT[int32](ins, out, pool), nil
	case dtypes.Int64:
		return whereT[int64](ins, out, pool), nil
	case dtypes.Uint8:
		return whereT[uint8](ins, out, pool), nil
	case dtypes.Bool:
		return whereT[bool](ins, out, pool), nil
	}
	return nil, fmt.Errorf("no kernel")
}

func whereT[T any](ins []int, out int, pool *kernels.Pool) step {
	return func(st *state) {
		c, x, y, z := st.vals[ins[0]].([]bool), st.vals[ins[1]].([]T), st.vals[ins[2]].([]T), st.vals[out].([]T)
		forChunks(pool, len(z), func(lo, hi int) {
			cs, xs, ys, zs := part(c, lo, hi), part(x, lo, hi), part(y, lo, hi), z[lo:hi]
			for i := range zs {
				if part(cs, i, i+1)[0] {
					zs[i] = part(xs, i, i+1)[0]
				} else {
					zs[i] = part(ys, i, i+1)[0]
				}
			}
		})
	}
}

func clampStep(n *node, ins []int, out int, pool *kernels.Pool) (step, error) {
	switch n.shape.DType {
	case dtypes.Float32:
		return clampT[float32](ins, out, pool), nil
	case dtypes.Float64:
		return clampT[float64](ins, out, pool), nil
	case dtypes.Int32:
		return clampT[int32](ins, out, pool), nil
	case dtypes.Int64:
		return clampT[int64](ins, out, pool), nil
	}
	return nil, fmt.Errorf("no kernel")
}

func clampT[T number](ins []int, out int, pool *kernels.Pool) step {
	return func(st *state) {
		lo, x, hi, z := st.vals[ins[0]].([]T), st.vals[ins[1]].([]T), st.vals[ins[2]].([]T), st.vals[out].([]T)
		for i := range z {
			v := part(x, i, i+1)[0]
			l, h := part(lo, i, i+1)[0], part(hi, i, i+1)[0]
			if v < l {
				v = l
			}
			if v > h {
				v = h
			}
			z[i] = v
		}
	}
}

func convertStep(n *node, in, out int, pool *kernels.Pool) (step, error) {
	from, to := shapeOf(n, 0).DType, n.shape.DType
	switch from {
	case dtypes.Float32:
		return convertFrom[float32](to, in, out)
	case dtypes.Float64:
		return convertFrom[float64](to, in, out)
	case dtypes.Int32:
		return convertFrom[int32](to, in, out)
	case dtypes.Int64:
		return convertFrom[int64](to, in, out)
	case dtypes.Uint8:
		return convertFrom[uint8](to, in, out)
	case dtypes.Bool:
		return convertFromBool(to, in, out)
	}
	return nil, fmt.Errorf("no conversion from %s", from)
}

func convertFrom[S number](to dtypes.DType, in, out int) (step, error) {
	switch to {
	case dtypes.Float32:
		return convertT[S, float32](in, out), nil
	case dtypes.Float64:
		return convertT[S, float64](in, out), nil
	case dtypes.Int32:
		return convertT[S, int32](in, out), nil
	case dtypes.Int64:
		return convertT[S, int64](in, out), nil
	case dtypes.Uint8:
		return convertT[S, uint8](in, out), nil
	case dtypes.Bool:
		return func(st *state) {
			x, y := st.vals[in].([]S), st.vals[out].([]bool)
			for i, v := range x {
				y[i] = v != 0
			}
		}, nil
	}
	return nil, fmt.Errorf("no conversion to %s", to)
}

func convertT[S, D number](in, out int) step {
	return func(st *state) {
		x, y := st.vals[in].([]S), st.vals[out].([]D)
		for i, v := range x {
			y[i] = D(v)
		}
	}
}

func convertFromBool(to dtypes.DType, in, out int) (step, error) {
	conv := func(set func(y any, i int, v bool)) step {
		return func(st *state) {
			x := st.vals[in].([]bool)
			y := st.vals[out]
			for i, v := range x {
				set(y, i, v)
			}
		}
	}
	switch to {
	case dtypes.Float32:
		return conv(func(y any, i int, v bool) { y.([]float32)[i] = b2n[float32](v) }), nil
	case dtypes.Float64:
		return conv(func(y any, i int, v bool) { y.([]float64)[i] = b2n[float64](v) }), nil
	case dtypes.Int32:
		return conv(func(y any, i int, v bool) { y.([]int32)[i] = b2n[int32](v) }), nil
	case dtypes.Int64:
		return conv(func(y any, i int, v bool) { y.([]int64)[i] = b2n[int64](v) }), nil
	case dtypes.Uint8:
		return conv(func(y any, i int, v bool) { y.([]uint8)[i] = b2n[uint8](v) }), nil
	case dtypes.Bool:
		return conv(func(y any, i int, v bool) { y.([]bool)[i] = v }), nil
	}
	return nil, fmt.Errorf("no conversion to %s", to)
}

func b2n[T number](v bool) T {
	if v {
		return 1
	}
	return 0
}
