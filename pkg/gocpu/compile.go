package gocpu

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// step computes one node (or a fused group) of a compiled graph.
type step func(st *state)

// slotKind says where a slot's values come from.
type slotKind int

const (
	slotComputed slotKind = iota // owned by each state, written by a step
	slotInput                    // a parameter: the caller's buffer
	slotConstant                 // read-only values shared by all states
)

// slot is one storage place of a compiled graph. Nodes whose lives do not
// overlap share a slot; a reshape shares its input's slot.
type slot struct {
	kind  slotKind
	dtype dtypes.DType
	size  int
	param int // slotInput: which input
	value any // slotConstant: the values
}

// plan is what compile decides, before steps are made.
type plan struct {
	slots  []slot
	slotOf map[*node]int
	temps  []slot // scratch space used inside steps (packing, transposes)
	// argOf pairs a max (min) pooling and the SelectAndScatter of its
	// gradient over the same operand and windows: the temp where the
	// pooling records where each extreme was, for the scatter to use.
	argOf map[*node]int
}

// compile turns a recorded graph into an Executable. It fails (and the
// graph then runs on simplego) when some node cannot be planned.
func compile(b *Builder, outputs []*node) (*Executable, error) {
	for _, p := range b.params {
		if p == nil {
			return nil, fmt.Errorf("a parameter is not on the fast path")
		}
	}
	// Nodes the outputs need, in topological (creation) order.
	needed := make(map[*node]bool)
	var mark func(n *node)
	mark = func(n *node) {
		if needed[n] {
			return
		}
		needed[n] = true
		for _, in := range n.inputs {
			mark(in)
		}
		if n.call != nil {
			// A call runs once for all its results, at the last: each
			// needs its place, even one that nothing reads.
			for _, r := range n.call.results {
				mark(r)
			}
		}
	}
	for _, o := range outputs {
		mark(o)
	}
	var order []*node
	for _, n := range b.order {
		if needed[n] {
			order = append(order, n)
		}
	}

	if os.Getenv(EnvNoFusion) == "" {
		order = fuse(order, outputs)
	}
	p := &plan{slotOf: make(map[*node]int)}
	// Storage roots: a reshape or identity lives in its input's storage.
	root := make(map[*node]*node, len(order))
	for _, n := range order {
		root[n] = n
		if isAlias(n) && !n.foreign {
			root[n] = root[n.inputs[0]]
		}
	}
	// Last position at which each root's storage is read.
	lastUse := make(map[*node]int, len(order))
	for i, n := range order {
		for _, in := range n.inputs {
			lastUse[root[in]] = i
		}
	}
	for _, o := range outputs {
		lastUse[root[o]] = math.MaxInt
	}
	free := make(map[[2]int][]int) // (dtype, size) -> free slots
	release := func(r *node, at int) {
		if lastUse[r] != at {
			return
		}
		s := p.slotOf[r]
		if p.slots[s].kind != slotComputed {
			return
		}
		key := [2]int{int(p.slots[s].dtype), p.slots[s].size}
		free[key] = append(free[key], s)
		lastUse[r] = -1 // released once
	}
	allocate := func(n *node) int {
		key := [2]int{int(n.shape.DType), n.shape.Size()}
		if fs := free[key]; len(fs) > 0 {
			s := fs[len(fs)-1]
			free[key] = fs[:len(fs)-1]
			return s
		}
		p.slots = append(p.slots, slot{kind: slotComputed, dtype: n.shape.DType, size: n.shape.Size()})
		return len(p.slots) - 1
	}
	for i, n := range order {
		switch {
		case n.op == backends.OpTypeParameter:
			p.slots = append(p.slots, slot{kind: slotInput, dtype: n.shape.DType, size: n.shape.Size(), param: n.param})
			p.slotOf[n] = len(p.slots) - 1
		case n.op == backends.OpTypeConstant:
			p.slots = append(p.slots, slot{kind: slotConstant, dtype: n.shape.DType, size: n.shape.Size(), value: n.constant})
			p.slotOf[n] = len(p.slots) - 1
		case isAlias(n) && !n.foreign:
			p.slotOf[n] = p.slotOf[root[n]]
		case isElementwise(n.op) && !n.foreign:
			// Element-wise kernels may write over an input that dies here.
			for _, in := range n.inputs {
				release(root[in], i)
			}
			p.slotOf[n] = allocate(n)
		default:
			p.slotOf[n] = allocate(n)
		}
		for _, in := range n.inputs {
			release(root[in], i)
		}
	}

	e := &Executable{engine: b.engine, plan: p, name: b.Name()}
	for _, prm := range b.params {
		e.inputNames = append(e.inputNames, fmt.Sprintf("p%d", prm.param))
		e.inputShapes = append(e.inputShapes, prm.shape)
	}
	for _, o := range outputs {
		e.outputShapes = append(e.outputShapes, o.shape)
		e.outputSlots = append(e.outputSlots, p.slotOf[o])
	}
	pool := b.engine.pool
	pairPoolings(order, p)
	var labels []string
	for _, n := range order {
		if n.op == backends.OpTypeParameter || n.op == backends.OpTypeConstant || (isAlias(n) && !n.foreign) {
			continue
		}
		if n.foreign {
			// The call runs once, at its last result (all results have
			// their storage by then).
			if n != n.call.results[len(n.call.results)-1] {
				continue
			}
			s, err := foreignStep(b.engine, n.call, p)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", n.op, n.shape, err)
			}
			e.steps = append(e.steps, s)
			labels = append(labels, stepLabel(n))
			continue
		}
		if n.fused != nil {
			s, err := fusedStep(n, p, pool)
			if err != nil {
				return nil, fmt.Errorf("fused %s %s: %w", n.op, n.shape, err)
			}
			e.steps = append(e.steps, s)
			labels = append(labels, stepLabel(n))
			continue
		}
		s, err := makeStep(n, p, pool)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", n.op, n.shape, err)
		}
		e.steps = append(e.steps, s)
		labels = append(labels, stepLabel(n))
	}
	if v, err := strconv.Atoi(os.Getenv(EnvProfile)); err == nil && v > 0 {
		e.prof = &profile{after: v, labels: labels}
	}
	return e, nil
}

// stepLabel names a step in profiles: op, input shapes, output shape.
func stepLabel(n *node) string {
	var b strings.Builder
	if n.fused != nil {
		b.WriteString("Fused(")
		for i, m := range n.fused.members {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(m.op.String())
		}
		b.WriteString(")")
	} else {
		b.WriteString(n.op.String())
	}
	if n.foreign {
		b.WriteString(" (simplego)")
	}
	for i, in := range n.inputs {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(fmt.Sprint(in.shape.Dimensions))
	}
	fmt.Fprintf(&b, " -> %v", n.shape.Dimensions)
	return b.String()
}

// EnvNoFusion names the environment variable that, when set, turns fusion
// of element-wise ops off (to measure what it buys, or to rule it out).
const EnvNoFusion = "JUANJI_GOCPU_NOFUSION"

// isAlias tells whether n shares its input's storage (same values, same order).
func isAlias(n *node) bool {
	return n.op == backends.OpTypeReshape || n.op == backends.OpTypeIdentity
}

// isElementwise tells whether op reads each input element only to write the
// output element at the same position.
func isElementwise(op backends.OpType) bool {
	_, un := unaryOps[op]
	_, bin := binaryOps[op]
	return un || bin || op == backends.OpTypeWhere || op == backends.OpTypeClamp || op == backends.OpTypeConvertDType
}

// pairPoolings finds each SelectAndScatter whose operand and windows are
// those of an earlier max (min) pooling, and gives the pair an argument temp.
func pairPoolings(order []*node, p *plan) {
	p.argOf = make(map[*node]int)
	for _, s := range order {
		if s.foreign || (s.op != backends.OpTypeSelectAndScatterMax && s.op != backends.OpTypeSelectAndScatterMin) {
			continue
		}
		want := backends.ReduceOpMax
		if s.op == backends.OpTypeSelectAndScatterMin {
			want = backends.ReduceOpMin
		}
		for _, r := range order {
			if r == s {
				break
			}
			if r.op != backends.OpTypeReduceWindow || r.foreign || r.window.reduction != want || r.window.dilated ||
				r.inputs[0] != s.inputs[0] || !sameWindows(r.window, s.window) || !r.shape.Equal(s.inputs[1].shape) {
				continue
			}
			if _, ok := plane2DFor(s.inputs[0].shape.Dimensions, r.shape.Dimensions, r.window); !ok {
				continue
			}
			if _, taken := p.argOf[r]; taken {
				continue
			}
			t := p.addTemp(dtypes.Int32, r.shape.Size())
			p.argOf[r], p.argOf[s] = t, t
			break
		}
	}
}

// sameWindows tells whether two window specs walk the same windows.
func sameWindows(a, b windowSpec) bool {
	eq := func(x, y []int) bool {
		for i := 0; i < max(len(x), len(y)); i++ {
			xi, yi := 1, 1
			if i < len(x) && x[i] > 0 {
				xi = x[i]
			}
			if i < len(y) && y[i] > 0 {
				yi = y[i]
			}
			if xi != yi {
				return false
			}
		}
		return true
	}
	if !eq(a.dims, b.dims) || !eq(a.strides, b.strides) {
		return false
	}
	for i := 0; i < max(len(a.paddings), len(b.paddings)); i++ {
		var pa, pb [2]int
		if i < len(a.paddings) {
			pa = a.paddings[i]
		}
		if i < len(b.paddings) {
			pb = b.paddings[i]
		}
		if pa != pb {
			return false
		}
	}
	return true
}

// addTemp reserves scratch space of size elements of dtype for a step.
func (p *plan) addTemp(dtype dtypes.DType, size int) int {
	p.temps = append(p.temps, slot{kind: slotComputed, dtype: dtype, size: size})
	return len(p.temps) - 1
}

// makeStep builds the step that computes n.
func makeStep(n *node, p *plan, pool *kernels.Pool) (step, error) {
	out := p.slotOf[n]
	ins := make([]int, len(n.inputs))
	for i, in := range n.inputs {
		ins[i] = p.slotOf[in]
	}
	switch {
	case isUnary(n.op):
		return unaryStep(n, ins[0], out, pool)
	case isBinary(n.op):
		return binaryStep(n, ins[0], ins[1], out, pool)
	}
	switch n.op {
	case backends.OpTypeWhere:
		return whereStep(n, ins, out, pool)
	case backends.OpTypeClamp:
		return clampStep(n, ins, out, pool)
	case backends.OpTypeConvertDType:
		return convertStep(n, ins[0], out, pool)
	case backends.OpTypeConvGeneral:
		return convStep(n, ins[0], ins[1], out, p, pool)
	case backends.OpTypeReduceWindow:
		return reduceWindowStep(n, ins[0], out, p, pool)
	case backends.OpTypeSelectAndScatterMax, backends.OpTypeSelectAndScatterMin:
		return selectAndScatterStep(n, ins[0], ins[1], out, p, pool)
	case backends.OpTypeBroadcastInDim, backends.OpTypeTranspose, backends.OpTypeSlice, backends.OpTypeReverse:
		return moveStep(n, ins[0], out, pool)
	case backends.OpTypeConcatenate:
		return concatStep(n, ins, out)
	case backends.OpTypePad:
		return padStep(n, ins[0], ins[1], out)
	case backends.OpTypeIota:
		return iotaStep(n, out)
	case backends.OpTypeReduceSum, backends.OpTypeReduceMax, backends.OpTypeReduceMin, backends.OpTypeReduceProduct:
		return reduceStep(n, ins[0], out, pool)
	case backends.OpTypeArgMinMax:
		return argMinMaxStep(n, ins[0], out)
	case backends.OpTypeDotGeneral:
		return dotStep(n, ins[0], ins[1], out, p, pool)
	}
	return nil, fmt.Errorf("no kernel")
}

// rowMajorStrides returns the strides, in elements, of a row-major array.
func rowMajorStrides(dims []int) []int {
	s := make([]int, len(dims))
	acc := 1
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= dims[i]
	}
	return s
}

// shapeOf is a shorthand for n's input i's shape.
func shapeOf(n *node, i int) shapes.Shape { return n.inputs[i].shape }
