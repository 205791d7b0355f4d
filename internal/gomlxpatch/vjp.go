package gomlxpatch

import (
	"reflect"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// The gradients this package replaces, for every program that links it.
//
// GoMLX v0.26.0 computes the gradient of DotGeneral by broadcasting the output gradient
// against the other operand and reducing: it materialises a tensor as large as
// batch × lhs-cross × rhs-cross × contracted, and on the pure-Go backend that dominates
// training time. The textbook rule is two more matrix products:
//
//	dL/dlhs = DotGeneral(dL/dout, rhs)   contracting rhs's cross axes
//	dL/drhs = DotGeneral(dL/dout, lhs)   contracting lhs's cross axes
//
// followed by a transpose back to the operand's axis order. It is exact on every backend,
// so it replaces the library's rule for all DotGeneral nodes.
//
// GoMLX's gradient of Slice pads the output gradient with zeros back to the operand's
// shape with the Pad op, which the pure-Go backend lacks. The same padding is written here
// with Concatenate (zeros before and after each axis) and, for strided slices, a reshape
// that interleaves zeros. It makes slicing differentiable everywhere, which the portable
// convolution and pooling rely on. Tests compare both rules with the library's own on the
// values they produce (nn_test.go).

func init() {
	libraryDotGeneralVJP = replaceVJP(graph.NodeTypeDotGeneral, dotGeneralVJP)
	librarySliceVJP = replaceVJP(graph.NodeTypeSlice, sliceVJP)
}

// libraryDotGeneralVJP and librarySliceVJP are GoMLX's own rules, kept for tests and as a
// fallback.
var libraryDotGeneralVJP, librarySliceVJP graph.VJP

// library holds GoMLX's own rule of each op whose rule was replaced.
var library = map[graph.NodeType]graph.VJP{}

// replaceVJP makes vjp the gradient rule of op in GoMLX's process-wide registry
// (graph.VJPRegistration) and returns the library's rule.
func replaceVJP(op graph.NodeType, vjp graph.VJP) graph.VJP {
	lib := graph.VJPRegistration[op]
	library[op] = lib
	graph.VJPRegistration[op] = vjp
	return lib
}

// Library returns GoMLX's own gradient rule for op, as it was before this
// package replaced it (nil if it did not): tests compare the two.
func Library(op graph.NodeType) graph.VJP { return library[op] }

// readIntSlices reads []int fields of a node's (unexported) inputs struct through
// reflection. GoMLX keeps op parameters in nodeInputs* structs; this package is written
// for the version in WrittenFor, and its tests fail loudly if the layout ever changes
// (TestReflectionReadsOpParameters) or the module is upgraded (TestWrittenForThisGoMLX).
func readIntSlices(node *graph.Node, names ...string) ([][]int, bool) {
	v := reflect.ValueOf(node).Elem().FieldByName("inputs")
	if !v.IsValid() || v.IsNil() {
		return nil, false
	}
	v = v.Elem() // interface → *nodeInputsXxx
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, false
	}
	v = v.Elem()
	out := make([][]int, len(names))
	for i, name := range names {
		f := v.FieldByName(name)
		if !f.IsValid() || f.Kind() != reflect.Slice {
			return nil, false
		}
		out[i] = make([]int, f.Len())
		for j := range out[i] {
			out[i][j] = int(f.Index(j).Int())
		}
	}
	return out, true
}

// dotGeneralAxes are the axes of a DotGeneral node, read from the node's inputs.
type dotGeneralAxes struct {
	lhsContracting, lhsBatch, rhsContracting, rhsBatch []int
}

// readDotGeneralAxes reads the axes of a DotGeneral node.
func readDotGeneralAxes(node *graph.Node) (axes dotGeneralAxes, ok bool) {
	f, ok := readIntSlices(node, "lhsContractingAxes", "lhsBatchAxes", "rhsContractingAxes", "rhsBatchAxes")
	if !ok {
		return axes, false
	}
	return dotGeneralAxes{lhsContracting: f[0], lhsBatch: f[1], rhsContracting: f[2], rhsBatch: f[3]}, true
}

// crossAxes lists the axes of a rank-r operand that are neither contracted nor batch, in order.
func crossAxes(rank int, contracting, batch []int) []int {
	var cross []int
	for axis := range rank {
		if !slices.Contains(contracting, axis) && !slices.Contains(batch, axis) {
			cross = append(cross, axis)
		}
	}
	return cross
}

// dotGeneralVJP is the gradient of DotGeneral as two DotGenerals and two transposes.
func dotGeneralVJP(node *graph.Node, vjpOutputs []*graph.Node, outputShape shapes.Shape) []*graph.Node {
	axes, ok := readDotGeneralAxes(node)
	if !ok {
		return libraryDotGeneralVJP(node, vjpOutputs, outputShape)
	}
	v := vjpOutputs[0]
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	if v.DType() != lhs.DType() {
		return libraryDotGeneralVJP(node, vjpOutputs, outputShape)
	}
	return []*graph.Node{
		dotGeneralOperandGrad(v, true, rhs, axes.rhsContracting, axes.rhsBatch, lhs.Rank(), axes.lhsContracting, axes.lhsBatch),
		dotGeneralOperandGrad(v, false, lhs, axes.lhsContracting, axes.lhsBatch, rhs.Rank(), axes.rhsContracting, axes.rhsBatch),
	}
}

// dotGeneralOperandGrad returns the gradient with respect to one operand ("this") of a
// DotGeneral whose output gradient is v, given the other operand.
//
// v's axes are [batch..., lhsCross..., rhsCross...]; thisIsLHS tells which cross block is ours.
func dotGeneralOperandGrad(v *graph.Node, thisIsLHS bool,
	other *graph.Node, otherContracting, otherBatch []int,
	thisRank int, thisContracting, thisBatch []int) *graph.Node {
	nBatch := len(thisBatch)
	otherCross := crossAxes(other.Rank(), otherContracting, otherBatch)
	thisCross := crossAxes(thisRank, thisContracting, thisBatch)

	// Axes of v: batch first, then lhs cross, then rhs cross.
	vBatch := make([]int, nBatch)
	for i := range vBatch {
		vBatch[i] = i
	}
	var vOtherCross []int
	start := nBatch
	if thisIsLHS {
		start += len(thisCross)
	}
	for i := range otherCross {
		vOtherCross = append(vOtherCross, start+i)
	}

	// grad axes: [batch..., thisCross..., other's contracting axes in increasing order].
	grad := graph.DotGeneral(v, vOtherCross, vBatch, other, otherCross, otherBatch)

	// Map each axis of "this" to its position in grad.
	sortedOtherContracting := slices.Clone(otherContracting)
	slices.Sort(sortedOtherContracting)
	perm := make([]int, thisRank)
	for i, axis := range thisBatch {
		perm[axis] = i
	}
	for i, axis := range thisCross {
		perm[axis] = nBatch + i
	}
	for k, axis := range thisContracting {
		pos := slices.Index(sortedOtherContracting, otherContracting[k])
		perm[axis] = nBatch + len(thisCross) + pos
	}
	if isIdentityPermutation(perm) {
		return grad
	}
	return graph.TransposeAllAxes(grad, perm...)
}

// sliceVJP is the gradient of Slice: the output gradient put back where the slice came
// from, zeros elsewhere.
func sliceVJP(node *graph.Node, vjpOutputs []*graph.Node, outputShape shapes.Shape) []*graph.Node {
	f, ok := readIntSlices(node, "starts", "limits", "strides")
	if !ok {
		return librarySliceVJP(node, vjpOutputs, outputShape)
	}
	starts, strides := f[0], f[2]
	v := vjpOutputs[0]
	dims := node.Inputs()[0].Shape().Dimensions
	for axis := range dims {
		n := v.Shape().Dimensions[axis]
		s := max(strides[axis], 1)
		if s > 1 && n > 1 {
			v = interleaveZeros(v, axis, s) // n elements s apart: (n-1)*s+1 long
		}
		covered := (n-1)*s + 1
		if n == 1 {
			covered = 1
		}
		v = padZeros(v, axis, starts[axis], dims[axis]-starts[axis]-covered)
	}
	return []*graph.Node{v}
}

// padZeros adds before and after zeros on both ends of x's axis, with Concatenate.
func padZeros(x *graph.Node, axis, before, after int) *graph.Node {
	if before == 0 && after == 0 {
		return x
	}
	zeros := func(n int) *graph.Node {
		dims := slices.Clone(x.Shape().Dimensions)
		dims[axis] = n
		return graph.BroadcastToDims(graph.ScalarZero(x.Graph(), x.DType()), dims...)
	}
	parts := make([]*graph.Node, 0, 3)
	if before > 0 {
		parts = append(parts, zeros(before))
	}
	parts = append(parts, x)
	if after > 0 {
		parts = append(parts, zeros(after))
	}
	return graph.Concatenate(parts, axis)
}

// interleaveZeros puts s-1 zeros between consecutive elements of x's axis: n elements
// become (n-1)*s+1.
func interleaveZeros(x *graph.Node, axis, s int) *graph.Node {
	dims := x.Shape().Dimensions
	n := dims[axis]
	// [..., n, ...] → [..., n, 1, ...] ++ zeros [..., n, s-1, ...] → [..., n*s, ...], then
	// drop the s-1 zeros after the last element.
	withUnit := slices.Insert(slices.Clone(dims), axis+1, 1)
	spread := padZeros(graph.Reshape(x, withUnit...), axis+1, 0, s-1)
	long := slices.Clone(dims)
	long[axis] = n * s
	return graph.SliceAxis(graph.Reshape(spread, long...), axis, graph.AxisRange(0, (n-1)*s+1))
}

func isIdentityPermutation(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}
