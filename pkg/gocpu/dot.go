package gocpu

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// matView is how a DotGeneral operand is read as a batch of matrices:
// element (b, i, j) at offset b·batch + i·row + j·col of the operand (or of
// a contiguous copy of it, when its axes cannot be read that way).
type matView struct {
	batch, row, col int
	copyDims        []int // non-nil: first copy the operand with copyStrides into [B, R, C]
	copyStrides     []int
	copyDense       []int // the row-major strides of copyDims
	temp            int
}

// groupStride returns the single stride that walks the axes (in this order)
// as one, or false when they are not laid out contiguously in that order.
func groupStride(dims, strides, axes []int) (stride, size int, ok bool) {
	size = 1
	for _, a := range axes {
		size *= dims[a]
	}
	var kept []int
	for _, a := range axes {
		if dims[a] != 1 {
			kept = append(kept, a)
		}
	}
	if len(kept) == 0 {
		return 0, size, true
	}
	for i := 0; i+1 < len(kept); i++ {
		if strides[kept[i]] != strides[kept[i+1]]*dims[kept[i+1]] {
			return 0, size, false
		}
	}
	return strides[kept[len(kept)-1]], size, true
}

// viewOf reads operand dims as [batch axes][rows axes][cols axes].
func viewOf(dims, batch, rows, cols []int, p *plan, dtype dtypes.DType) (v matView, b, r, c int) {
	strides := rowMajorStrides(dims)
	sb, b, ok1 := groupStride(dims, strides, batch)
	sr, r, ok2 := groupStride(dims, strides, rows)
	sc, c, ok3 := groupStride(dims, strides, cols)
	if ok1 && ok2 && ok3 {
		return matView{batch: sb, row: sr, col: sc}, b, r, c
	}
	// Copy into [B, R, C] order: the copy walks the operand in that order.
	var order []int
	order = append(append(append(order, batch...), rows...), cols...)
	v.copyDims = make([]int, len(order))
	v.copyStrides = make([]int, len(order))
	for i, a := range order {
		v.copyDims[i], v.copyStrides[i] = dims[a], strides[a]
	}
	v.copyDense = rowMajorStrides(v.copyDims)
	v.batch, v.row, v.col = r*c, c, 1
	v.temp = p.addTemp(dtype, b*r*c)
	return v, b, r, c
}

// freeAxes lists the axes of a rank-r operand that are neither batch nor contracting.
func freeAxes(rank int, batch, contracting []int) []int {
	used := make([]bool, rank)
	for _, a := range batch {
		used[a] = true
	}
	for _, a := range contracting {
		used[a] = true
	}
	var free []int
	for a := 0; a < rank; a++ {
		if !used[a] {
			free = append(free, a)
		}
	}
	return free
}

func dotStep(n *node, lhs, rhs, out int, p *plan, pool *kernels.Pool) (step, error) {
	ls, rs := shapeOf(n, 0), shapeOf(n, 1)
	d := n.dot
	lv, batch, m, k := viewOf(ls.Dimensions, d.lhsBatch, freeAxes(ls.Rank(), d.lhsBatch, d.lhsContracting), d.lhsContracting, p, ls.DType)
	rv, _, k2, nn := viewOf(rs.Dimensions, d.rhsBatch, d.rhsContracting, freeAxes(rs.Rank(), d.rhsBatch, d.rhsContracting), p, rs.DType)
	if k != k2 {
		return nil, fmt.Errorf("contracting sizes %d and %d differ", k, k2)
	}
	switch n.shape.DType {
	case dtypes.Float32:
		return dotT(lhs, rhs, out, lv, rv, batch, m, k, nn, pool, func(p *kernels.Pool, m, n, k int, a, b, c []float32, aOff, bOff, cOff int, av, bv matView) {
			kernels.GemmF32(p, m, n, k,
				kernels.MatF32{Data: a, Offset: aOff, RowStride: av.row, ColStride: av.col},
				kernels.MatF32{Data: b, Offset: bOff, RowStride: bv.row, ColStride: bv.col},
				kernels.MatF32{Data: c, Offset: cOff, RowStride: n, ColStride: 1}, false)
		}), nil
	case dtypes.Float64:
		return dotT(lhs, rhs, out, lv, rv, batch, m, k, nn, pool, func(p *kernels.Pool, m, n, k int, a, b, c []float64, aOff, bOff, cOff int, av, bv matView) {
			kernels.GemmF64(p, m, n, k,
				kernels.MatF64{Data: a, Offset: aOff, RowStride: av.row, ColStride: av.col},
				kernels.MatF64{Data: b, Offset: bOff, RowStride: bv.row, ColStride: bv.col},
				kernels.MatF64{Data: c, Offset: cOff, RowStride: n, ColStride: 1}, false)
		}), nil
	}
	return nil, fmt.Errorf("no matrix product for %s", n.shape.DType)
}

type gemmFn[T float] func(p *kernels.Pool, m, n, k int, a, b, c []T, aOff, bOff, cOff int, av, bv matView)

func dotT[T float](lhs, rhs, out int, lv, rv matView, batch, m, k, n int, pool *kernels.Pool, gemm gemmFn[T]) step {
	operand := func(st *state, slotIdx int, v matView) []T {
		x := st.vals[slotIdx].([]T)
		if v.copyDims == nil {
			return x
		}
		t := st.temps[v.temp].([]T)
		parallelCopy(pool, t, 0, v.copyDense, x, 0, v.copyStrides, v.copyDims)
		return t
	}
	return func(st *state) {
		a, b, c := operand(st, lhs, lv), operand(st, rhs, rv), st.vals[out].([]T)
		for i := 0; i < batch; i++ {
			gemm(pool, m, n, k, a, b, c, i*lv.batch, i*rv.batch, i*m*n, lv, rv)
		}
	}
}
