package nn

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// This file holds the one place where juanji changes how GoMLX differentiates.
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
// so it replaces the library's rule for all DotGeneral nodes. Tests compare it with the
// library's own rule (see grad_test.go).

func init() {
	libraryDotGeneralVJP = graph.VJPRegistration[graph.NodeTypeDotGeneral]
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = dotGeneralVJP
}

// libraryDotGeneralVJP is GoMLX's own rule, kept for tests and as a fallback.
var libraryDotGeneralVJP graph.VJP

// dotGeneralAxes are the axes of a DotGeneral node, read from the node's inputs.
type dotGeneralAxes struct {
	lhsContracting, lhsBatch, rhsContracting, rhsBatch []int
}

// readDotGeneralAxes reads the (unexported) axes of a DotGeneral node through reflection.
// GoMLX keeps them in a nodeInputsDotGeneral struct; the version is pinned in go.mod and
// grad_test.go fails loudly if the layout ever changes.
func readDotGeneralAxes(node *graph.Node) (axes dotGeneralAxes, ok bool) {
	v := reflect.ValueOf(node).Elem().FieldByName("inputs")
	if !v.IsValid() || v.IsNil() {
		return axes, false
	}
	v = v.Elem() // interface → *nodeInputsDotGeneral
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return axes, false
	}
	v = v.Elem()
	read := func(name string) ([]int, bool) {
		f := v.FieldByName(name)
		if !f.IsValid() || f.Kind() != reflect.Slice {
			return nil, false
		}
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out, true
	}
	var ok1, ok2, ok3, ok4 bool
	axes.lhsContracting, ok1 = read("lhsContractingAxes")
	axes.lhsBatch, ok2 = read("lhsBatchAxes")
	axes.rhsContracting, ok3 = read("rhsContractingAxes")
	axes.rhsBatch, ok4 = read("rhsBatchAxes")
	return axes, ok1 && ok2 && ok3 && ok4
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

func isIdentityPermutation(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}

// mustRank panics with a clear message naming the layer when x has the wrong rank.
func mustRank(layer string, x *graph.Node, rank int, want string) {
	if x.Rank() != rank {
		panic(fmt.Errorf("nn: %s expects input of rank %d (%s), got shape %s", layer, rank, want, x.Shape()))
	}
}
