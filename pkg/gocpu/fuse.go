package gocpu

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// fusion is a chain (a tree) of float element-wise ops computed in one pass:
// tile by tile, each member computes its tile into scratch that stays in
// the cache, and only the last member writes memory. Its intermediate
// results never exist in full.
type fusion struct {
	members []*node // topological; the last is the fused node's own op
	// args[i][j] says where member i's operand j comes from: >= 0, the
	// fused node's input (external) of that index; < 0, member -1-k.
	args [][]int
}

// fusedTile is how many elements a fused pass computes at a time.
const fusedTile = 1024

// fusible tells whether n can join a fused pass: a float unary or binary
// arithmetic op on the fast path.
func fusible(n *node) bool {
	if n.foreign || n.fused != nil || (n.shape.DType != dtypes.Float32 && n.shape.DType != dtypes.Float64) {
		return false
	}
	if n.op == backends.OpTypeBroadcastInDim {
		_, _, ok := blockPattern(n)
		return ok
	}
	switch n.op {
	case backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul, backends.OpTypeDiv,
		backends.OpTypeMax, backends.OpTypeMin, backends.OpTypePow,
		backends.OpTypeNeg, backends.OpTypeAbs, backends.OpTypeExp, backends.OpTypeLog, backends.OpTypeLogistic,
		backends.OpTypeTanh, backends.OpTypeSqrt, backends.OpTypeRsqrt, backends.OpTypeSign, backends.OpTypeExpm1,
		backends.OpTypeLog1p:
		return true
	}
	return false
}

// blockPattern tells whether broadcast n reads its input as out[i] =
// in[(i/b)%c] (a per-channel vector over N,C,H,W, a row or column of a
// matrix, a scalar), and returns c and b.
func blockPattern(n *node) (c, b int, ok bool) {
	if n.op != backends.OpTypeBroadcastInDim {
		return 0, 0, false
	}
	l, err := sourceLayout(n)
	if err != nil {
		return 0, 0, false
	}
	dims, src, _ := simplify(l.dims, l.strides, rowMajorStrides(l.dims))
	one := -1
	for k, s := range src {
		switch {
		case s == 1 && one < 0:
			one = k
		case s != 0:
			return 0, 0, false
		}
	}
	c, b = 1, 1
	if one >= 0 {
		c = dims[one]
		for _, d := range dims[one+1:] {
			b *= d
		}
	} else {
		for _, d := range dims {
			b *= d
		}
	}
	return c, b, l.offset == 0
}

// fuse rewrites order: each maximal tree of fusible ops whose inner results
// have one reader (and are not outputs) becomes one node. It returns the
// new order.
func fuse(order []*node, outputs []*node) []*node {
	readers := make(map[*node]int, len(order))
	for _, n := range order {
		for _, in := range n.inputs {
			readers[in]++
		}
	}
	isOutput := make(map[*node]bool, len(outputs))
	for _, o := range outputs {
		isOutput[o] = true
	}
	absorbed := make(map[*node]bool)
	// From the last node back: a fusible node not yet absorbed roots a group.
	for i := len(order) - 1; i >= 0; i-- {
		root := order[i]
		if absorbed[root] || !fusible(root) {
			continue
		}
		var members []*node
		var collect func(n *node)
		inGroup := map[*node]bool{}
		collect = func(n *node) {
			for _, in := range n.inputs {
				if inGroup[in] || absorbed[in] || !fusible(in) || in.shape.Size() != root.shape.Size() || in.shape.DType != root.shape.DType {
					continue
				}
				if _, _, ok := blockPattern(in); ok {
					// A broadcast is cheap to redo: every group that reads it
					// gets its own copy, whatever its other readers.
					inGroup[in] = true
					members = append(members, in)
					continue
				}
				if readers[in] == 1 && !isOutput[in] {
					absorbed[in] = true
					inGroup[in] = true
					collect(in)
				}
			}
			members = append(members, n)
		}
		collect(root)
		if len(members) < 2 {
			continue
		}
		// members is in post-order: every member after its operands.
		f := &fusion{members: members}
		index := make(map[*node]int, len(members))
		for k, m := range members {
			index[m] = k
		}
		var externals []*node
		extIndex := make(map[*node]int)
		for _, m := range members {
			args := make([]int, len(m.inputs))
			for j, in := range m.inputs {
				if k, ok := index[in]; ok && in != m {
					args[j] = -1 - k
					continue
				}
				e, ok := extIndex[in]
				if !ok {
					e = len(externals)
					extIndex[in] = e
					externals = append(externals, in)
				}
				args[j] = e
			}
			f.args = append(f.args, args)
		}
		// The root becomes the fused node: same identity for its readers.
		clone := *root
		f.members[len(f.members)-1] = &clone
		for k, m := range f.members {
			index[m] = k
		}
		root.fused = f
		root.inputs = externals
	}
	// Keep what the outputs still need (a broadcast copied into every group
	// that read it is needed no more).
	live := make(map[*node]bool, len(order))
	var mark func(n *node)
	mark = func(n *node) {
		if live[n] {
			return
		}
		live[n] = true
		for _, in := range n.inputs {
			mark(in)
		}
		if n.call != nil { // a call's results live together (see compile)
			for _, r := range n.call.results {
				mark(r)
			}
		}
	}
	for _, o := range outputs {
		mark(o)
	}
	var out []*node
	for _, n := range order {
		if !absorbed[n] && live[n] {
			out = append(out, n)
		}
	}
	return out
}

// fusedStep builds the step of a fused node.
func fusedStep(n *node, p *plan, pool *kernels.Pool) (step, error) {
	ins := make([]int, len(n.inputs))
	for i, in := range n.inputs {
		ins[i] = p.slotOf[in]
	}
	out := p.slotOf[n]
	switch n.shape.DType {
	case dtypes.Float32:
		return fusedT[float32](n.fused, ins, out, pool)
	case dtypes.Float64:
		return fusedT[float64](n.fused, ins, out, pool)
	}
	return nil, fmt.Errorf("no fused kernel for %s", n.shape.DType)
}

func fusedT[T float](f *fusion, ins []int, out int, pool *kernels.Pool) (step, error) {
	type member struct {
		unary  func(y, x []T)
		binary func(z, x, y []T)
		args   []int
		// c, b > 0: a broadcast, out[i] = in[(i/b)%c]
		c, b int
	}
	ms := make([]member, len(f.members))
	for i, m := range f.members {
		ms[i].args = f.args[i]
		if c, b, ok := blockPattern(m); ok {
			ms[i].c, ms[i].b = c, b
			continue
		}
		if len(m.inputs) == 1 {
			if ms[i].unary = unaryKernel[T](m.op); ms[i].unary == nil {
				return nil, fmt.Errorf("fused %s: no kernel", m.op)
			}
			continue
		}
		k, err := arithKernel[T](m.op, true)
		if err != nil {
			return nil, fmt.Errorf("fused %s: %w", m.op, err)
		}
		ms[i].binary = k
	}
	scratch := sync.Pool{New: func() any { s := make([]T, len(ms)*fusedTile); return &s }}
	return func(st *state) {
		ext := make([][]T, len(ins))
		for i, s := range ins {
			ext[i] = st.vals[s].([]T)
		}
		z := st.vals[out].([]T)
		forChunks(pool, len(z), func(lo, hi int) {
			bufp := scratch.Get().(*[]T)
			buf := *bufp
			for t0 := lo; t0 < hi; t0 += fusedTile {
				t1 := min(t0+fusedTile, hi)
				n := t1 - t0
				operand := func(a int) []T {
					if a >= 0 {
						return part(ext[a], t0, t1)
					}
					k := -1 - a
					return buf[k*fusedTile : k*fusedTile+n]
				}
				for i := range ms {
					m := &ms[i]
					dst := buf[i*fusedTile : i*fusedTile+n]
					if i == len(ms)-1 {
						dst = z[t0:t1]
					}
					if m.b > 0 {
						broadcastTile(dst, ext[m.args[0]], t0, m.c, m.b)
					} else if m.unary != nil {
						m.unary(dst, operand(m.args[0]))
					} else {
						m.binary(dst, operand(m.args[0]), operand(m.args[1]))
					}
				}
			}
			scratch.Put(bufp)
		})
	}, nil
}

// broadcastTile fills dst with src[(i/b)%c] for i from t0 on.
func broadcastTile[T any](dst, src []T, t0, c, b int) {
	for i := 0; i < len(dst); {
		g := t0 + i
		v := src[(g/b)%c]
		n := min(len(dst)-i, b-g%b)
		d := dst[i : i+n]
		if d32, ok := any(d).([]float32); ok && n >= 16 {
			kernels.FillF32(d32, any(v).(float32))
		} else {
			for j := range d {
				d[j] = v
			}
		}
		i += n
	}
}
