package gocpu

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/notimplemented"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

//go:generate python3 gen_ops.py
//go:generate go run ./internal/genforeign gen_foreign.go

// node is one op of a graph. Every op handed to GoMLX is a *node.
type node struct {
	id     int
	op     backends.OpType
	shape  shapes.Shape
	inputs []*node

	// inner is the same op built on simplego, nil where simplego lacks it
	// (or lacks one of its inputs).
	inner backends.Op
	// foreign marks an op the fast path does not compute: a graph that
	// needs one runs on simplego.
	foreign bool
	// call, for a foreign node, rebuilds its op on a fresh simplego builder
	// so that it can run there alone (see foreign.go).
	call *foreignCall
	// result is which of call's results this node is.
	result int
	// fused, set by compile, makes this node a fused pass of several ops.
	fused *fusion

	param    int                // Parameter: its position among the inputs
	constant any                // Constant: flat values (a copy)
	axes     []int              // Reduce*: axes; Transpose: permutation; BroadcastInDim: axes; Concatenate, Iota, ArgMinMax: [axis]; Reverse: axes
	starts   []int              // Slice
	limits   []int              // Slice
	strides  []int              // Slice
	dot      dotSpec            // DotGeneral
	isMin    bool               // ArgMinMax
	pads     []backends.PadAxis // Pad
	conv     convSpec           // ConvGeneral
	window   windowSpec         // ReduceWindow, SelectAndScatter*
}

// dotSpec holds DotGeneral's axes, normalized to non-negative values.
type dotSpec struct {
	lhsContracting, lhsBatch, rhsContracting, rhsBatch []int
}

// Builder records a graph for the fast path. Each op is also built on
// simplego's builder while simplego can (its "shadow"), so that a graph
// needing an op the fast path lacks can be compiled there instead.
type Builder struct {
	backends.Builder // simplego's builder, the shadow

	engine *Backend
	order  []*node // in creation order, which is topological
	params []*node
}

var _ backends.Builder = (*Builder)(nil)

func newBuilder(engine *Backend, inner backends.Builder) *Builder {
	return &Builder{Builder: inner, engine: engine}
}

// supportedDTypes are the element types the fast path computes with.
var supportedDTypes = map[dtypes.DType]bool{
	dtypes.Float32: true, dtypes.Float64: true, dtypes.Int32: true, dtypes.Int64: true,
	dtypes.Uint8: true, dtypes.Bool: true,
}

// asNode returns the node of an op handed out by this builder.
func (b *Builder) asNode(what string, op backends.Op) (*node, error) {
	n, ok := op.(*node)
	if !ok || n == nil {
		return nil, fmt.Errorf("gocpu: %s: operand %v (%T) was not built by the gocpu backend", what, op, op)
	}
	return n, nil
}

func (b *Builder) add(n *node) *node {
	n.id = len(b.order)
	b.order = append(b.order, n)
	return n
}

// foreignInputs are the inputs of an op built on simplego only.
type foreignInputs struct {
	ops   [][]backends.Op // simplego's ops, grouped as the method takes them
	nodes []*node
}

// innerOps maps the operand groups of a foreign op to simplego's ops.
func (b *Builder) innerOps(what string, groups ...[]backends.Op) (foreignInputs, error) {
	var in foreignInputs
	for _, g := range groups {
		ops := make([]backends.Op, len(g))
		for i, op := range g {
			n, err := b.asNode(what, op)
			if err != nil {
				return in, err
			}
			if n.inner == nil {
				return in, fmt.Errorf("gocpu: %s is computed only off the fast path, but its operand %s (%s) only on it: "+
					"this graph cannot run on either (a missing fast-path op; see the gocpu package documentation)", what, n.op, n.shape)
			}
			ops[i] = n.inner
			in.nodes = append(in.nodes, n)
		}
		in.ops = append(in.ops, ops)
	}
	return in, nil
}

// replayFn builds an op again on another builder, from operands grouped as
// the Builder method takes them.
type replayFn func(bb backends.Builder, in [][]backends.Op) ([]backends.Op, error)

// foreignOne records a single-result op built on simplego only.
func (b *Builder) foreignOne(kind backends.OpType, in foreignInputs, ops []backends.Op, err error, replay replayFn) (backends.Op, error) {
	r, err := b.foreignList(kind, in, ops, err, replay)
	if err != nil {
		return nil, err
	}
	return r[0], nil
}

// foreignList records the results of an op built on simplego only.
func (b *Builder) foreignList(kind backends.OpType, in foreignInputs, ops []backends.Op, err error, replay replayFn) ([]backends.Op, error) {
	if err != nil {
		return nil, operandsError(kind, in.nodes, err)
	}
	call := &foreignCall{kind: kind, replay: replay, inputs: in.nodes, groups: groupSizes(in.ops)}
	out := make([]backends.Op, len(ops))
	for i, op := range ops {
		shape, err := b.Builder.OpShape(op)
		if err != nil {
			return nil, err
		}
		n := b.add(&node{op: kind, shape: shape, inputs: in.nodes, inner: op, foreign: true, call: call, result: i})
		call.results = append(call.results, n)
		out[i] = n
	}
	return out, nil
}

// fast records an op of the fast path. build makes it on simplego (given
// simplego's operands); infer gives its shape where simplego cannot build
// it; fill sets its parameters.
func (b *Builder) fast(kind backends.OpType, inputs []backends.Op, build func(bb backends.Builder, in []backends.Op) (backends.Op, error),
	infer func(in []*node) (shapes.Shape, error), fill func(n *node)) (*node, error) {
	nodes := make([]*node, len(inputs))
	innerIns := make([]backends.Op, len(inputs))
	shadow := true
	for i, op := range inputs {
		n, err := b.asNode(kind.String(), op)
		if err != nil {
			return nil, err
		}
		nodes[i], innerIns[i] = n, n.inner
		shadow = shadow && n.inner != nil
	}
	n := &node{op: kind, inputs: nodes}
	if shadow {
		op, err := build(b.Builder, innerIns)
		switch {
		case err == nil:
			n.inner = op
			if n.shape, err = b.Builder.OpShape(op); err != nil {
				return nil, err
			}
		case errors.Is(err, notimplemented.NotImplementedError):
		default:
			// simplego refuses some valid parameters (empty strides for a
			// convolution): the fast path's own shape rule decides.
			if infer == nil {
				return nil, operandsError(kind, nodes, err)
			}
			if _, inferErr := infer(nodes); inferErr != nil {
				return nil, operandsError(kind, nodes, err)
			}
		}
	}
	if n.inner == nil {
		if infer == nil {
			return nil, fmt.Errorf("gocpu: %s: no shape rule", kind)
		}
		shape, err := infer(nodes)
		if err != nil {
			return nil, operandsError(kind, nodes, err)
		}
		n.shape = shape
	}
	if fill != nil {
		fill(n)
	}
	n.foreign = !supportedDTypes[n.shape.DType]
	for _, in := range nodes {
		n.foreign = n.foreign || !supportedDTypes[in.shape.DType]
	}
	if n.foreign {
		if n.inner == nil {
			return nil, fmt.Errorf("gocpu: %s of %s is on neither the fast path nor simplego", kind, n.shape.DType)
		}
		n.call = &foreignCall{kind: kind, inputs: nodes, groups: []int{len(nodes)}, results: []*node{n},
			replay: func(bb backends.Builder, in [][]backends.Op) ([]backends.Op, error) {
				op, err := build(bb, in[0])
				return []backends.Op{op}, err
			}}
	}
	return b.add(n), nil
}

// operandsError names the op and its operands' shapes in err.
func operandsError(kind backends.OpType, nodes []*node, err error) error {
	ss := make([]string, len(nodes))
	for i, n := range nodes {
		ss[i] = n.shape.String()
	}
	return fmt.Errorf("gocpu: %s of %s: %w", kind, strings.Join(ss, " and "), err)
}

// op adapts fast's result to the Builder methods' (Op, error).
func op(n *node, err error) (backends.Op, error) {
	if err != nil {
		return nil, err
	}
	return n, nil
}

// OpShape implements backends.Builder.
func (b *Builder) OpShape(op backends.Op) (shapes.Shape, error) {
	n, err := b.asNode("OpShape", op)
	if err != nil {
		return shapes.Invalid(), err
	}
	return n.shape, nil
}

// Compile implements backends.Builder: the fast path's executable when no
// op the outputs need is foreign, simplego's otherwise.
func (b *Builder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	outs := make([]*node, len(outputs))
	for i, o := range outputs {
		n, err := b.asNode("Compile", o)
		if err != nil {
			return nil, err
		}
		outs[i] = n
	}
	why := ""
	if len(shardings) > 0 {
		why = "sharding"
	} else {
		exec, err := compile(b, outs)
		if err == nil {
			return exec, nil
		}
		why = err.Error()
	}
	inner := make([]backends.Op, len(outs))
	for i, n := range outs {
		if n.inner == nil {
			return nil, fmt.Errorf("gocpu: graph %q cannot run: %s, and its output #%d (%s of %s) needs an op simplego lacks",
				b.Name(), why, i, n.op, n.shape)
		}
		inner[i] = n.inner
	}
	if os.Getenv(EnvTrace) != "" {
		fmt.Fprintf(os.Stderr, "gocpu: graph %q runs on simplego: %s\n", b.Name(), why)
	}
	return b.Builder.Compile(inner, shardings)
}

// EnvTrace names the environment variable that, when set, makes the engine
// say on standard error which graphs run on simplego and why.
const EnvTrace = "JUANJI_GOCPU_TRACE"

// OnFastPath tells whether exec runs on this engine's own executor (false:
// on simplego, because its graph uses an op the fast path lacks).
func OnFastPath(exec backends.Executable) bool {
	_, ok := exec.(*Executable)
	return ok
}

// Parameter implements backends.Builder.
func (b *Builder) Parameter(name string, shape shapes.Shape, sharding *backends.ShardingSpec) (backends.Op, error) {
	inner, err := b.Builder.Parameter(name, shape, sharding)
	if err != nil {
		return nil, err
	}
	n := b.add(&node{op: backends.OpTypeParameter, shape: shape, inner: inner, param: len(b.params)})
	b.params = append(b.params, n)
	return n, nil
}

// Constant implements backends.Builder.
func (b *Builder) Constant(flat any, dims ...int) (backends.Op, error) {
	inner, err := b.Builder.Constant(flat, dims...)
	if err != nil {
		return nil, err
	}
	shape, err := b.Builder.OpShape(inner)
	if err != nil {
		return nil, err
	}
	v := reflect.ValueOf(flat)
	c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	reflect.Copy(c, v)
	return b.add(&node{op: backends.OpTypeConstant, shape: shape, inner: inner, constant: c.Interface()}), nil
}

// sameShape is the shape rule of ops whose output is their first input's.
func sameShape(in []*node) (shapes.Shape, error) { return in[0].shape, nil }

// Identity implements backends.Builder.
func (b *Builder) Identity(x backends.Op) (backends.Op, error) {
	return op(b.fast(backends.OpTypeIdentity, []backends.Op{x}, func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return bb.Identity(in[0]) }, sameShape, nil))
}

// Reshape implements backends.Builder.
func (b *Builder) Reshape(x backends.Op, dims ...int) (backends.Op, error) {
	return op(b.fast(backends.OpTypeReshape, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return bb.Reshape(in[0], dims...) },
		func(in []*node) (shapes.Shape, error) { return shapeinference.ReshapeOp(in[0].shape, dims) }, nil))
}

// BroadcastInDim implements backends.Builder.
func (b *Builder) BroadcastInDim(x backends.Op, outputShape shapes.Shape, broadcastAxes []int) (backends.Op, error) {
	return op(b.fast(backends.OpTypeBroadcastInDim, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) {
			return bb.BroadcastInDim(in[0], outputShape, broadcastAxes)
		},
		func(in []*node) (shapes.Shape, error) {
			return outputShape, shapeinference.BroadcastInDimOp(in[0].shape, outputShape, broadcastAxes)
		},
		func(n *node) { n.axes = slices.Clone(broadcastAxes) }))
}

// Transpose implements backends.Builder.
func (b *Builder) Transpose(x backends.Op, permutation ...int) (backends.Op, error) {
	return op(b.fast(backends.OpTypeTranspose, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) {
			return bb.Transpose(in[0], permutation...)
		},
		func(in []*node) (shapes.Shape, error) { return shapeinference.TransposeOp(in[0].shape, permutation) },
		func(n *node) { n.axes = slices.Clone(permutation) }))
}

// Slice implements backends.Builder.
func (b *Builder) Slice(x backends.Op, starts, limits, strides []int) (backends.Op, error) {
	return op(b.fast(backends.OpTypeSlice, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) {
			return bb.Slice(in[0], starts, limits, strides)
		},
		func(in []*node) (shapes.Shape, error) {
			return shapeinference.SliceOp(in[0].shape, starts, limits, strides)
		},
		func(n *node) {
			n.starts, n.limits = slices.Clone(starts), slices.Clone(limits)
			n.strides = slices.Clone(strides)
			if len(n.strides) == 0 {
				n.strides = make([]int, len(starts))
				for i := range n.strides {
					n.strides[i] = 1
				}
			}
		}))
}

// Concatenate implements backends.Builder.
func (b *Builder) Concatenate(axis int, operands ...backends.Op) (backends.Op, error) {
	return op(b.fast(backends.OpTypeConcatenate, operands,
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return bb.Concatenate(axis, in...) },
		func(in []*node) (shapes.Shape, error) {
			ss := make([]shapes.Shape, len(in))
			for i, n := range in {
				ss[i] = n.shape
			}
			return shapeinference.ConcatenateOp(ss, axis)
		},
		func(n *node) {
			a := axis
			if a < 0 {
				a += n.shape.Rank()
			}
			n.axes = []int{a}
		}))
}

// Pad implements backends.Builder.
func (b *Builder) Pad(x, fill backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	return op(b.fast(backends.OpTypePad, []backends.Op{x, fill},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) {
			return bb.Pad(in[0], in[1], axesConfig...)
		},
		func(in []*node) (shapes.Shape, error) {
			s := in[0].shape.Clone()
			if in[1].shape.Size() != 1 || in[1].shape.DType != s.DType {
				return s, fmt.Errorf("fill value %s must be a scalar of %s", in[1].shape, s.DType)
			}
			if len(axesConfig) > s.Rank() {
				return s, fmt.Errorf("%d axes configured for %s", len(axesConfig), s)
			}
			for k, p := range axesConfig {
				d := s.Dimensions[k]
				s.Dimensions[k] = p.Start + p.End + d + max(d-1, 0)*p.Interior
				if s.Dimensions[k] < 0 || p.Interior < 0 {
					return s, fmt.Errorf("padding %+v of axis %d of %s", p, k, in[0].shape)
				}
			}
			return s, nil
		},
		func(n *node) { n.pads = slices.Clone(axesConfig) }))
}

// Iota implements backends.Builder.
func (b *Builder) Iota(shape shapes.Shape, iotaAxis int) (backends.Op, error) {
	return op(b.fast(backends.OpTypeIota, nil,
		func(bb backends.Builder, _ []backends.Op) (backends.Op, error) { return bb.Iota(shape, iotaAxis) },
		func([]*node) (shapes.Shape, error) { return shape, nil },
		func(n *node) {
			a := iotaAxis
			if a < 0 {
				a += shape.Rank()
			}
			n.axes = []int{a}
		}))
}

// ConvertDType implements backends.Builder.
func (b *Builder) ConvertDType(x backends.Op, dtype dtypes.DType) (backends.Op, error) {
	return op(b.fast(backends.OpTypeConvertDType, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return bb.ConvertDType(in[0], dtype) },
		func(in []*node) (shapes.Shape, error) { return shapes.Make(dtype, in[0].shape.Dimensions...), nil }, nil))
}

// Where implements backends.Builder.
func (b *Builder) Where(cond, onTrue, onFalse backends.Op) (backends.Op, error) {
	return b.elementwise(backends.OpTypeWhere, []backends.Op{cond, onTrue, onFalse},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return bb.Where(in[0], in[1], in[2]) },
		func(in []*node) (shapes.Shape, error) {
			return shapeinference.WhereOp(in[0].shape, in[1].shape, in[2].shape)
		})
}

// Clamp implements backends.Builder.
func (b *Builder) Clamp(lo, x, hi backends.Op) (backends.Op, error) {
	return b.elementwise(backends.OpTypeClamp, []backends.Op{lo, x, hi},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return bb.Clamp(in[0], in[1], in[2]) },
		func(in []*node) (shapes.Shape, error) { return in[1].shape, nil })
}

// unary records a unary element-wise op.
func (b *Builder) unary(kind backends.OpType, x backends.Op, build func(bb backends.Builder, x backends.Op) (backends.Op, error)) (backends.Op, error) {
	return b.elementwise(kind, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return build(bb, in[0]) },
		func(in []*node) (shapes.Shape, error) { return shapeinference.UnaryOp(kind, in[0].shape) })
}

// binary records a binary element-wise op.
func (b *Builder) binary(kind backends.OpType, x, y backends.Op, build func(bb backends.Builder, x, y backends.Op) (backends.Op, error)) (backends.Op, error) {
	return b.elementwise(kind, []backends.Op{x, y},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return build(bb, in[0], in[1]) },
		func(in []*node) (shapes.Shape, error) {
			if isComparison(kind) {
				return shapeinference.ComparisonOp(kind, in[0].shape, in[1].shape)
			}
			return shapeinference.BinaryOp(kind, in[0].shape, in[1].shape)
		})
}

// elementwise records an element-wise op whose inputs each have the
// output's dimensions or a single element. An input whose size-1 axes are
// broadcast (allowed by GoMLX's shape rules) gets an explicit broadcast node
// of its own before the op, so that the kernels see only those two cases.
func (b *Builder) elementwise(kind backends.OpType, inputs []backends.Op, build func(bb backends.Builder, in []backends.Op) (backends.Op, error),
	infer func(in []*node) (shapes.Shape, error)) (backends.Op, error) {
	n, err := b.fast(kind, inputs, build, infer, nil)
	if err != nil {
		return nil, err
	}
	var synth []*node
	for i, in := range n.inputs {
		if in.shape.Size() == 1 || slices.Equal(in.shape.Dimensions, n.shape.Dimensions) {
			continue
		}
		bs := shapes.Make(in.shape.DType, n.shape.Dimensions...)
		axes := make([]int, bs.Rank())
		for a := range axes {
			axes[a] = a
		}
		s := &node{op: backends.OpTypeBroadcastInDim, shape: bs, inputs: []*node{in}, axes: axes}
		synth = append(synth, s)
		n.inputs[i] = s
	}
	if len(synth) > 0 {
		b.order = append(b.order[:len(b.order)-1], append(synth, n)...)
		for i := len(b.order) - 1 - len(synth); i < len(b.order); i++ {
			b.order[i].id = i
		}
	}
	return n, nil
}

// DotGeneral implements backends.Builder.
func (b *Builder) DotGeneral(lhs backends.Op, lhsContractingAxes, lhsBatchAxes []int, rhs backends.Op, rhsContractingAxes, rhsBatchAxes []int) (backends.Op, error) {
	// simplego normalizes the axes in place: it gets copies.
	spec := dotSpec{slices.Clone(lhsContractingAxes), slices.Clone(lhsBatchAxes), slices.Clone(rhsContractingAxes), slices.Clone(rhsBatchAxes)}
	return op(b.fast(backends.OpTypeDotGeneral, []backends.Op{lhs, rhs},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) {
			return bb.DotGeneral(in[0], slices.Clone(spec.lhsContracting), slices.Clone(spec.lhsBatch),
				in[1], slices.Clone(spec.rhsContracting), slices.Clone(spec.rhsBatch))
		},
		func(in []*node) (shapes.Shape, error) { return dotShape(in[0].shape, in[1].shape, spec) },
		func(n *node) {
			l, r := n.inputs[0].shape.Rank(), n.inputs[1].shape.Rank()
			n.dot = dotSpec{normAxes(spec.lhsContracting, l), normAxes(spec.lhsBatch, l), normAxes(spec.rhsContracting, r), normAxes(spec.rhsBatch, r)}
		}))
}

// Dot implements backends.Builder: XLA's Dot, a DotGeneral contracting the
// last axis of lhs with the first of rhs (operands of rank 1 or 2).
func (b *Builder) Dot(lhs, rhs backends.Op) (backends.Op, error) {
	l, err := b.asNode("Dot", lhs)
	if err != nil {
		return nil, err
	}
	r, err := b.asNode("Dot", rhs)
	if err != nil {
		return nil, err
	}
	if l.shape.Rank() < 1 || l.shape.Rank() > 2 || r.shape.Rank() < 1 || r.shape.Rank() > 2 {
		return nil, operandsError(backends.OpTypeDot, []*node{l, r}, fmt.Errorf("Dot takes operands of rank 1 or 2"))
	}
	return b.DotGeneral(lhs, []int{l.shape.Rank() - 1}, nil, rhs, []int{0}, nil)
}

// normAxes returns axes with negative values counted from the end.
func normAxes(axes []int, rank int) []int {
	out := slices.Clone(axes)
	for i, a := range out {
		if a < 0 {
			out[i] = a + rank
		}
	}
	return out
}

// dotShape is DotGeneral's output: batch axes, then lhs's free axes, then rhs's.
func dotShape(l, r shapes.Shape, spec dotSpec) (shapes.Shape, error) {
	lc, lb := normAxes(spec.lhsContracting, l.Rank()), normAxes(spec.lhsBatch, l.Rank())
	rc, rb := normAxes(spec.rhsContracting, r.Rank()), normAxes(spec.rhsBatch, r.Rank())
	if l.DType != r.DType || len(lc) != len(rc) || len(lb) != len(rb) {
		return shapes.Invalid(), fmt.Errorf("DotGeneral of %s and %s: axes %+v do not pair", l, r, spec)
	}
	var dims []int
	for i := range lb {
		if l.Dimensions[lb[i]] != r.Dimensions[rb[i]] {
			return shapes.Invalid(), fmt.Errorf("DotGeneral of %s and %s: batch axes differ", l, r)
		}
		dims = append(dims, l.Dimensions[lb[i]])
	}
	for i := range lc {
		if l.Dimensions[lc[i]] != r.Dimensions[rc[i]] {
			return shapes.Invalid(), fmt.Errorf("DotGeneral of %s and %s: contracting axes differ", l, r)
		}
	}
	for _, a := range freeAxes(l.Rank(), lb, lc) {
		dims = append(dims, l.Dimensions[a])
	}
	for _, a := range freeAxes(r.Rank(), rb, rc) {
		dims = append(dims, r.Dimensions[a])
	}
	return shapes.Make(l.DType, dims...), nil
}

// reduce records a reduction over axes (all axes when none are given).
func (b *Builder) reduce(kind backends.OpType, x backends.Op, axes []int, build func(bb backends.Builder, x backends.Op, axes ...int) (backends.Op, error)) (backends.Op, error) {
	return op(b.fast(kind, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return build(bb, in[0], axes...) },
		func(in []*node) (shapes.Shape, error) {
			all := axes
			if len(all) == 0 { // no axes: all of them
				all = make([]int, in[0].shape.Rank())
				for i := range all {
					all[i] = i
				}
			}
			return shapeinference.ReduceOp(in[0].shape, all)
		},
		func(n *node) {
			rank := n.inputs[0].shape.Rank()
			if len(axes) == 0 {
				n.axes = make([]int, rank)
				for i := range n.axes {
					n.axes[i] = i
				}
				return
			}
			n.axes = normAxes(axes, rank)
			slices.Sort(n.axes)
		}))
}

// ReduceSum implements backends.Builder.
func (b *Builder) ReduceSum(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceSum, x, axes, backends.Builder.ReduceSum)
}

// ReduceMax implements backends.Builder.
func (b *Builder) ReduceMax(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceMax, x, axes, backends.Builder.ReduceMax)
}

// ReduceMin implements backends.Builder.
func (b *Builder) ReduceMin(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceMin, x, axes, backends.Builder.ReduceMin)
}

// ReduceProduct implements backends.Builder.
func (b *Builder) ReduceProduct(x backends.Op, axes ...int) (backends.Op, error) {
	return b.reduce(backends.OpTypeReduceProduct, x, axes, backends.Builder.ReduceProduct)
}

// ArgMinMax implements backends.Builder.
func (b *Builder) ArgMinMax(x backends.Op, axis int, outputDType dtypes.DType, isMin bool) (backends.Op, error) {
	return op(b.fast(backends.OpTypeArgMinMax, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) {
			return bb.ArgMinMax(in[0], axis, outputDType, isMin)
		},
		func(in []*node) (shapes.Shape, error) {
			return shapeinference.ArgMinMaxOp(in[0].shape, axis, outputDType)
		},
		func(n *node) {
			a := axis
			if a < 0 {
				a += n.inputs[0].shape.Rank()
			}
			n.axes, n.isMin = []int{a}, isMin
		}))
}

// ConvGeneral implements backends.Builder.
func (b *Builder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig, strides []int, paddings [][2]int,
	inputDilations, kernelDilations []int, channelGroupCount, batchGroupCount int) (backends.Op, error) {
	return op(b.fast(backends.OpTypeConvGeneral, []backends.Op{input, kernel},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) {
			// simplego refuses (and prints) empty strides or dilations: it gets them spelled out.
			s := len(axes.InputSpatial)
			return bb.ConvGeneral(in[0], in[1], axes, ones(strides, s), paddings, ones(inputDilations, s), ones(kernelDilations, s),
				max(channelGroupCount, 1), max(batchGroupCount, 1))
		},
		func(in []*node) (shapes.Shape, error) {
			s := len(axes.InputSpatial)
			return shapeinference.ConvGeneralOp(in[0].shape, in[1].shape, axes, ones(strides, s), paddings,
				ones(inputDilations, s), ones(kernelDilations, s), max(channelGroupCount, 1), max(batchGroupCount, 1))
		},
		func(n *node) {
			n.conv = convSpec{axes: axes.Clone(), strides: slices.Clone(strides), paddings: slices.Clone(paddings),
				inputDilations: slices.Clone(inputDilations), kernelDilations: slices.Clone(kernelDilations),
				channelGroups: max(channelGroupCount, 1), batchGroups: max(batchGroupCount, 1)}
		}))
}

// ReduceWindow implements backends.Builder.
func (b *Builder) ReduceWindow(x backends.Op, reductionType backends.ReduceOpType, windowDimensions, strides, baseDilations, windowDilations []int, paddings [][2]int) (backends.Op, error) {
	return op(b.fast(backends.OpTypeReduceWindow, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) {
			return bb.ReduceWindow(in[0], reductionType, windowDimensions, strides, baseDilations, windowDilations, paddings)
		},
		func(in []*node) (shapes.Shape, error) {
			return shapeinference.ReduceWindowOp(in[0].shape, windowDimensions, strides, baseDilations, windowDilations, paddings)
		},
		func(n *node) {
			n.window = windowSpec{reduction: reductionType, dims: slices.Clone(windowDimensions), strides: slices.Clone(strides),
				paddings: slices.Clone(paddings), dilated: !allOnes(baseDilations) || !allOnes(windowDilations)}
		}))
}

// SelectAndScatterMax implements backends.Builder.
func (b *Builder) SelectAndScatterMax(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.selectAndScatter(backends.OpTypeSelectAndScatterMax, backends.ReduceOpMax, operand, source, windowDimensions, windowStrides, paddings,
		backends.Builder.SelectAndScatterMax)
}

// SelectAndScatterMin implements backends.Builder.
func (b *Builder) SelectAndScatterMin(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.selectAndScatter(backends.OpTypeSelectAndScatterMin, backends.ReduceOpMin, operand, source, windowDimensions, windowStrides, paddings,
		backends.Builder.SelectAndScatterMin)
}

func (b *Builder) selectAndScatter(kind backends.OpType, r backends.ReduceOpType, operand, source backends.Op, dims, strides []int, paddings [][2]int,
	build func(bb backends.Builder, operand, source backends.Op, dims, strides []int, paddings [][2]int) (backends.Op, error)) (backends.Op, error) {
	return op(b.fast(kind, []backends.Op{operand, source},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) {
			return build(bb, in[0], in[1], dims, strides, paddings)
		},
		func(in []*node) (shapes.Shape, error) {
			want, err := shapeinference.ReduceWindowOp(in[0].shape, dims, strides, nil, nil, paddings)
			if err != nil {
				return want, err
			}
			if !want.Equal(in[1].shape) {
				return want, fmt.Errorf("source %s does not match the windows of %s (%s)", in[1].shape, in[0].shape, want)
			}
			return in[0].shape, nil
		},
		func(n *node) {
			n.window = windowSpec{reduction: r, dims: slices.Clone(dims), strides: slices.Clone(strides), paddings: slices.Clone(paddings)}
		}))
}

// Reverse implements backends.Builder.
func (b *Builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	return op(b.fast(backends.OpTypeReverse, []backends.Op{x},
		func(bb backends.Builder, in []backends.Op) (backends.Op, error) { return bb.Reverse(in[0], axes...) },
		func(in []*node) (shapes.Shape, error) {
			for _, a := range normAxes(axes, in[0].shape.Rank()) {
				if a < 0 || a >= in[0].shape.Rank() {
					return in[0].shape, fmt.Errorf("axis %d out of range for %s", a, in[0].shape)
				}
			}
			return in[0].shape, nil
		},
		func(n *node) { n.axes = normAxes(axes, n.shape.Rank()) }))
}

// allOnes tells whether every value is 1 (true for none).
func allOnes(xs []int) bool {
	for _, x := range xs {
		if x != 1 {
			return false
		}
	}
	return true
}

// ones returns xs with n values, a missing or zero value read as 1 (as
// simplego and XLA read them).
func ones(xs []int, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
		if i < len(xs) && xs[i] > 0 {
			out[i] = xs[i]
		}
	}
	return out
}
