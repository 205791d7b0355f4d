package gocpu

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// layout is a strided walk over an n-dimensional array: element idx sits at
// offset + Σ idx[k]·strides[k]. Broadcasts (stride 0), transposes and
// slices are all layouts of their input, which copyND materializes.
type layout struct {
	dims    []int
	strides []int
	offset  int
	dense   []int // the row-major strides of dims, where a copy needs them
}

// simplify drops axes of size 1 and merges neighbours that walk memory as
// one axis, for both the source and the destination strides at once.
func simplify(dims, src, dst []int) (d, s, t []int) {
	for k := range dims {
		if dims[k] == 1 {
			continue
		}
		if n := len(d); n > 0 && s[n-1] == src[k]*dims[k] && t[n-1] == dst[k]*dims[k] {
			d[n-1] *= dims[k]
			s[n-1], t[n-1] = src[k], dst[k]
			continue
		}
		d, s, t = append(d, dims[k]), append(s, src[k]), append(t, dst[k])
	}
	return d, s, t
}

// copyND copies the array of dims read with src strides (from srcOff) into
// dst with dst strides (from dstOff).
func copyND[T any](dst []T, dstOff int, dstStrides []int, src []T, srcOff int, srcStrides, dims []int) {
	if len(dims) == 0 {
		dst[dstOff] = src[srcOff]
		return
	}
	n := dims[0]
	if len(dims) == 1 {
		ss, ds := srcStrides[0], dstStrides[0]
		switch {
		case ss == 1 && ds == 1:
			copy(dst[dstOff:dstOff+n], src[srcOff:srcOff+n])
		case ss == 0 && ds == 1:
			v, d := src[srcOff], dst[dstOff:dstOff+n]
			for i := range d {
				d[i] = v
			}
		default:
			for i := 0; i < n; i++ {
				dst[dstOff+i*ds] = src[srcOff+i*ss]
			}
		}
		return
	}
	if len(dims) == 2 {
		// The last two axes in one loop nest: no call per inner run (a
		// broadcast's inner runs can be 2 long).
		m, ss0, ds0, ss1, ds1 := dims[1], srcStrides[0], dstStrides[0], srcStrides[1], dstStrides[1]
		for i := 0; i < n; i++ {
			so, do := srcOff+i*ss0, dstOff+i*ds0
			for j := 0; j < m; j++ {
				dst[do+j*ds1] = src[so+j*ss1]
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		copyND(dst, dstOff+i*dstStrides[0], dstStrides[1:], src, srcOff+i*srcStrides[0], srcStrides[1:], dims[1:])
	}
}

// parallelCopy runs copyND split over the outermost axis when large.
func parallelCopy[T any](pool *kernels.Pool, dst []T, dstOff int, dstStrides []int, src []T, srcOff int, srcStrides, dims []int) {
	total := 1
	for _, d := range dims {
		total *= d
	}
	if len(dims) == 0 || total < 2*parallelMin || dims[0] < 2 || pool.Workers() == 1 {
		copyND(dst, dstOff, dstStrides, src, srcOff, srcStrides, dims)
		return
	}
	per := max(1, parallelMin/(total/dims[0]))
	pool.ParallelFor(dims[0], per, func(lo, hi int) {
		d := append([]int{hi - lo}, dims[1:]...)
		copyND(dst, dstOff+lo*dstStrides[0], dstStrides, src, srcOff+lo*srcStrides[0], srcStrides, d)
	})
}

// sourceLayout returns how n (a broadcast, transpose or slice) reads its input.
func sourceLayout(n *node) (layout, error) {
	in := shapeOf(n, 0)
	inStrides := rowMajorStrides(in.Dimensions)
	out := n.shape.Dimensions
	l := layout{dims: out, strides: make([]int, len(out))}
	switch n.op {
	case backends.OpTypeBroadcastInDim:
		for i, a := range n.axes {
			if in.Dimensions[i] != 1 {
				l.strides[a] = inStrides[i]
			}
		}
	case backends.OpTypeTranspose:
		for k, a := range n.axes {
			l.strides[k] = inStrides[a]
		}
	case backends.OpTypeSlice:
		for k := range out {
			l.strides[k] = inStrides[k] * n.strides[k]
			l.offset += n.starts[k] * inStrides[k]
		}
	case backends.OpTypeReverse:
		return reverseLayout(n), nil
	default:
		return l, fmt.Errorf("not a data movement")
	}
	return l, nil
}

func moveStep(n *node, in, out int, pool *kernels.Pool) (step, error) {
	l, err := sourceLayout(n)
	if err != nil {
		return nil, err
	}
	dims, src, dst := simplify(l.dims, l.strides, rowMajorStrides(l.dims))
	switch n.shape.DType {
	case dtypes.Float32:
		return moveT[float32](in, out, l.offset, dims, src, dst, pool), nil
	case dtypes.Float64:
		return moveT[float64](in, out, l.offset, dims, src, dst, pool), nil
	case dtypes.Int32:
		return moveT[int32](in, out, l.offset, dims, src, dst, pool), nil
	case dtypes.Int64:
		return moveT[int64](in, out, l.offset, dims, src, dst, pool), nil
	case dtypes.Uint8:
		return moveT[uint8](in, out, l.offset, dims, src, dst, pool), nil
	case dtypes.Bool:
		return moveT[bool](in, out, l.offset, dims, src, dst, pool), nil
	}
	return nil, fmt.Errorf("no kernel")
}

func moveT[T any](in, out, off int, dims, src, dst []int, pool *kernels.Pool) step {
	return func(st *state) {
		parallelCopy(pool, st.vals[out].([]T), 0, dst, st.vals[in].([]T), off, src, dims)
	}
}

func concatStep(n *node, ins []int, out int) (step, error) {
	axis := n.axes[0]
	outer := 1
	for _, d := range n.shape.Dimensions[:axis] {
		outer *= d
	}
	outRow := n.shape.Size() / max(outer, 1)
	if outer == 0 {
		outRow = 0
	}
	rows := make([]int, len(ins)) // elements per outer index, per operand
	for i := range ins {
		s := shapeOf(n, i)
		if outer > 0 {
			rows[i] = s.Size() / outer
		}
	}
	switch n.shape.DType {
	case dtypes.Float32:
		return concatT[float32](ins, out, outer, outRow, rows), nil
	case dtypes.Float64:
		return concatT[float64](ins, out, outer, outRow, rows), nil
	case dtypes.Int32:
		return concatT[int32](ins, out, outer, outRow, rows), nil
	case dtypes.Int64:
		return concatT[int64](ins, out, outer, outRow, rows), nil
	case dtypes.Uint8:
		return concatT[uint8](ins, out, outer, outRow, rows), nil
	case dtypes.Bool:
		return concatT[bool](ins, out, outer, outRow, rows), nil
	}
	return nil, fmt.Errorf("no kernel")
}

func concatT[T any](ins []int, out, outer, outRow int, rows []int) step {
	return func(st *state) {
		z := st.vals[out].([]T)
		at := 0
		for i, in := range ins {
			x, r := st.vals[in].([]T), rows[i]
			for o := 0; o < outer; o++ {
				copy(z[o*outRow+at:o*outRow+at+r], x[o*r:(o+1)*r])
			}
			at += r
		}
	}
}

func padStep(n *node, in, fill, out int) (step, error) {
	src := shapeOf(n, 0)
	rank := src.Rank()
	outStrides := rowMajorStrides(n.shape.Dimensions)
	dstStrides := make([]int, rank)
	dims := make([]int, rank)
	srcStrides := rowMajorStrides(src.Dimensions)
	srcOff, dstOff := 0, 0
	for k := 0; k < rank; k++ {
		p := backends.PadAxis{}
		if k < len(n.pads) {
			p = n.pads[k]
		}
		if p.Interior < 0 {
			return nil, fmt.Errorf("negative interior padding")
		}
		step := p.Interior + 1
		dstStrides[k] = outStrides[k] * step
		// Negative padding crops: skip source elements that land before 0 or past the end.
		first := 0
		if p.Start < 0 {
			first = (-p.Start + step - 1) / step
		}
		last := src.Dimensions[k] - 1 // last source index kept
		if end := p.Start + last*step; end >= n.shape.Dimensions[k] {
			last = (n.shape.Dimensions[k] - 1 - p.Start) / step
			if n.shape.Dimensions[k]-1-p.Start < 0 {
				last = -1
			}
		}
		dims[k] = max(0, last-first+1)
		srcOff += first * srcStrides[k]
		dstOff += (p.Start + first*step) * outStrides[k]
	}
	empty := false
	for _, d := range dims {
		if d == 0 {
			empty = true
		}
	}
	switch n.shape.DType {
	case dtypes.Float32:
		return padT[float32](in, fill, out, dstOff, dstStrides, srcOff, srcStrides, dims, empty), nil
	case dtypes.Float64:
		return padT[float64](in, fill, out, dstOff, dstStrides, srcOff, srcStrides, dims, empty), nil
	case dtypes.Int32:
		return padT[int32](in, fill, out, dstOff, dstStrides, srcOff, srcStrides, dims, empty), nil
	case dtypes.Int64:
		return padT[int64](in, fill, out, dstOff, dstStrides, srcOff, srcStrides, dims, empty), nil
	case dtypes.Bool:
		return padT[bool](in, fill, out, dstOff, dstStrides, srcOff, srcStrides, dims, empty), nil
	}
	return nil, fmt.Errorf("no kernel")
}

func padT[T any](in, fill, out, dstOff int, dstStrides []int, srcOff int, srcStrides, dims []int, empty bool) step {
	return func(st *state) {
		z, v := st.vals[out].([]T), st.vals[fill].([]T)[0]
		for i := range z {
			z[i] = v
		}
		if !empty {
			copyND(z, dstOff, dstStrides, st.vals[in].([]T), srcOff, srcStrides, dims)
		}
	}
}

func iotaStep(n *node, out int) (step, error) {
	axis := n.axes[0]
	dims := n.shape.Dimensions
	inner := 1
	for _, d := range dims[axis+1:] {
		inner *= d
	}
	size := dims[axis]
	switch n.shape.DType {
	case dtypes.Float32:
		return iotaT[float32](out, inner, size), nil
	case dtypes.Float64:
		return iotaT[float64](out, inner, size), nil
	case dtypes.Int32:
		return iotaT[int32](out, inner, size), nil
	case dtypes.Int64:
		return iotaT[int64](out, inner, size), nil
	case dtypes.Uint8:
		return iotaT[uint8](out, inner, size), nil
	}
	return nil, fmt.Errorf("no kernel")
}

func iotaT[T number](out, inner, size int) step {
	return func(st *state) {
		z := st.vals[out].([]T)
		for i := range z {
			z[i] = T((i / inner) % size)
		}
	}
}
