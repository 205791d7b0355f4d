package gocpu

import (
	"fmt"
	"math"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// reduceGroups describes a reduction as alternating groups of kept and
// reduced axes, neighbours of the same kind merged: sizes, input strides,
// output strides (0 for reduced groups).
type reduceGroups struct {
	sizes, inStrides, outStrides []int
	reduced                      []bool
}

func groupsFor(n *node) reduceGroups {
	in := shapeOf(n, 0)
	isReduced := make([]bool, in.Rank())
	for _, a := range n.axes {
		isReduced[a] = true
	}
	inStrides := rowMajorStrides(in.Dimensions)
	var keptDims []int
	for k, d := range in.Dimensions {
		if !isReduced[k] {
			keptDims = append(keptDims, d)
		}
	}
	keptStrides := rowMajorStrides(keptDims)
	var g reduceGroups
	kept := 0
	for k, d := range in.Dimensions {
		out := 0
		if !isReduced[k] {
			out = keptStrides[kept]
			kept++
		}
		if d == 1 {
			continue
		}
		if m := len(g.sizes); m > 0 && g.reduced[m-1] == isReduced[k] &&
			g.inStrides[m-1] == inStrides[k]*d && g.outStrides[m-1] == out*d {
			g.sizes[m-1] *= d
			g.inStrides[m-1], g.outStrides[m-1] = inStrides[k], out
			continue
		}
		g.sizes = append(g.sizes, d)
		g.inStrides = append(g.inStrides, inStrides[k])
		g.outStrides = append(g.outStrides, out)
		g.reduced = append(g.reduced, isReduced[k])
	}
	return g
}

func reduceStep(n *node, in, out int, pool *kernels.Pool) (step, error) {
	g := groupsFor(n)
	switch n.shape.DType {
	case dtypes.Float32:
		return reduceT[float32](n.op, g, in, out, pool, float32(math.Inf(-1)), float32(math.Inf(1)))
	case dtypes.Float64:
		return reduceT[float64](n.op, g, in, out, pool, math.Inf(-1), math.Inf(1))
	case dtypes.Int32:
		return reduceT[int32](n.op, g, in, out, pool, math.MinInt32, math.MaxInt32)
	case dtypes.Int64:
		return reduceT[int64](n.op, g, in, out, pool, math.MinInt64, math.MaxInt64)
	case dtypes.Uint8:
		return reduceT[uint8](n.op, g, in, out, pool, 0, math.MaxUint8)
	}
	return nil, fmt.Errorf("no reduction for %s", n.shape.DType)
}

func reduceT[T number](op backends.OpType, g reduceGroups, in, out int, pool *kernels.Pool, lowest, highest T) (step, error) {
	var init T
	var combine func(acc []T, x []T, xStride int, reduceRun bool)
	switch op {
	case backends.OpTypeReduceSum:
		init = 0
		combine = func(acc, x []T, s int, run bool) {
			if run {
				if x32, ok := any(x).([]float32); ok && s == 1 && kernels.HasVectorArith() {
					any(acc).([]float32)[0] += kernels.SumF32(x32)
					return
				}
				var sum T
				for i := 0; i < len(x); i += s {
					sum += x[i]
				}
				acc[0] += sum
				return
			}
			for i := range acc {
				acc[i] += x[i*s]
			}
		}
	case backends.OpTypeReduceProduct:
		init = 1
		combine = func(acc, x []T, s int, run bool) {
			if run {
				for i := 0; i < len(x); i += s {
					acc[0] *= x[i]
				}
				return
			}
			for i := range acc {
				acc[i] *= x[i*s]
			}
		}
	case backends.OpTypeReduceMax, backends.OpTypeReduceMin:
		isMax := op == backends.OpTypeReduceMax
		init = lowest
		if !isMax {
			init = highest
		}
		pick := func(a, v T) T {
			if v != v { // NaN wins, as in XLA
				return v
			}
			if a != a {
				return a
			}
			if isMax {
				return max(a, v)
			}
			return min(a, v)
		}
		combine = func(acc, x []T, s int, run bool) {
			if run {
				for i := 0; i < len(x); i += s {
					acc[0] = pick(acc[0], x[i])
				}
				return
			}
			for i := range acc {
				acc[i] = pick(acc[i], x[i*s])
			}
		}
	default:
		return nil, fmt.Errorf("no kernel")
	}
	partials := &sync.Pool{New: func() any { return new([]T) }}
	var walk func(z, x []T, gi, inOff, outOff int)
	last := len(g.sizes) - 1
	walk = func(z, x []T, gi, inOff, outOff int) {
		if gi == last-1 && !g.reduced[gi] && g.reduced[last] && op == backends.OpTypeReduceSum {
			// Kept axis, then a reduced one (pooling windows as axes): one
			// loop nest, no call per short run.
			m, is, os, r, rs := g.sizes[gi], g.inStrides[gi], g.outStrides[gi], g.sizes[last], g.inStrides[last]
			if x32, ok := any(x).([]float32); ok && rs == 1 && r >= 16 && kernels.HasVectorArith() {
				// Contiguous runs (N,C,H,W reduced over N,H,W: batch norm's
				// statistics): vector sums, not one long dependency chain.
				z32 := any(z).([]float32)
				for i := 0; i < m; i++ {
					z32[outOff+i*os] += kernels.SumF32(x32[inOff+i*is : inOff+i*is+r])
				}
				return
			}
			for i := 0; i < m; i++ {
				var sum T
				base := inOff + i*is
				for k := 0; k < r; k++ {
					sum += x[base+k*rs]
				}
				z[outOff+i*os] += sum
			}
			return
		}
		if gi == last {
			size, s := g.sizes[gi], g.inStrides[gi]
			if g.reduced[gi] {
				combine(z[outOff:outOff+1], x[inOff:inOff+(size-1)*s+1], s, true)
			} else {
				combine(z[outOff:outOff+size], x[inOff:], s, false)
			}
			return
		}
		for i := 0; i < g.sizes[gi]; i++ {
			walk(z, x, gi+1, inOff+i*g.inStrides[gi], outOff+i*g.outStrides[gi])
		}
	}
	return func(st *state) {
		x, z := st.vals[in].([]T), st.vals[out].([]T)
		for i := range z {
			z[i] = init
		}
		if len(x) == 0 {
			return
		}
		if last < 0 { // all axes of size 1
			combine(z[:1], x[:1], 1, true)
			return
		}
		// The outermost group, when kept and large, is split across workers:
		// each worker then owns distinct outputs.
		if !g.reduced[0] && g.sizes[0] > 1 && len(x) >= 2*parallelMin && pool.Workers() > 1 {
			per := max(1, parallelMin/(len(x)/g.sizes[0]))
			pool.ParallelFor(g.sizes[0], per, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					if last == 0 {
						combine(z[i*g.outStrides[0]:i*g.outStrides[0]+1], x[i*g.inStrides[0]:i*g.inStrides[0]+1], 1, false)
						continue
					}
					walk(z, x, 1, i*g.inStrides[0], i*g.outStrides[0])
				}
			})
			return
		}
		// The outermost group reduced and large (a batch axis): each worker
		// reduces a range of it into partial results, merged at the end.
		if g.reduced[0] && g.sizes[0] >= 2 && last > 0 && len(x) >= 2*parallelMin && pool.Workers() > 1 {
			chunks := min(pool.Workers(), g.sizes[0])
			bp := partials.Get().(*[]T)
			if cap(*bp) < chunks*len(z) {
				*bp = make([]T, chunks*len(z))
			}
			part := (*bp)[:chunks*len(z)]
			pool.ParallelFor(chunks, 1, func(lo, hi int) {
				for c := lo; c < hi; c++ {
					pz := part[c*len(z) : (c+1)*len(z)]
					for i := range pz {
						pz[i] = init
					}
					for i := c * g.sizes[0] / chunks; i < (c+1)*g.sizes[0]/chunks; i++ {
						walk(pz, x, 1, i*g.inStrides[0], 0)
					}
				}
			})
			for c := 0; c < chunks; c++ {
				combine(z, part[c*len(z):(c+1)*len(z)], 1, false)
			}
			partials.Put(bp)
			return
		}
		walk(z, x, 0, 0, 0)
	}, nil
}

func argMinMaxStep(n *node, in, out int) (step, error) {
	src := shapeOf(n, 0)
	axis := n.axes[0]
	outer, inner := 1, 1
	for _, d := range src.Dimensions[:axis] {
		outer *= d
	}
	for _, d := range src.Dimensions[axis+1:] {
		inner *= d
	}
	size := src.Dimensions[axis]
	var find func(st *state, set func(i, v int))
	switch src.DType {
	case dtypes.Float32:
		find = argFind[float32](in, outer, size, inner, n.isMin)
	case dtypes.Float64:
		find = argFind[float64](in, outer, size, inner, n.isMin)
	case dtypes.Int32:
		find = argFind[int32](in, outer, size, inner, n.isMin)
	case dtypes.Int64:
		find = argFind[int64](in, outer, size, inner, n.isMin)
	default:
		return nil, fmt.Errorf("no kernel")
	}
	switch n.shape.DType {
	case dtypes.Int32:
		return func(st *state) {
			z := st.vals[out].([]int32)
			find(st, func(i, v int) { z[i] = int32(v) })
		}, nil
	case dtypes.Int64:
		return func(st *state) {
			z := st.vals[out].([]int64)
			find(st, func(i, v int) { z[i] = int64(v) })
		}, nil
	}
	return nil, fmt.Errorf("no kernel for output %s", n.shape.DType)
}

// argFind finds, for each (outer, inner), the first index of the extreme
// value along the axis; a NaN counts as the extreme (as in XLA).
func argFind[T number](in, outer, size, inner int, isMin bool) func(st *state, set func(i, v int)) {
	return func(st *state, set func(i, v int)) {
		x := st.vals[in].([]T)
		for o := 0; o < outer; o++ {
			for j := 0; j < inner; j++ {
				base := o*size*inner + j
				best, bi := x[base], 0
				for k := 1; k < size && best == best; k++ {
					v := x[base+k*inner]
					if v != v || (isMin && v < best) || (!isMin && v > best) {
						best, bi = v, k
					}
				}
				set(o*inner+j, bi)
			}
		}
	}
}
