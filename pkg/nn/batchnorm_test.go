package nn

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/juanji/juanji/pkg/nn/functional"
)

// bnOutputsAndGrads runs one batch-norm layer in training mode on x and returns its output
// and the gradients of a weighted sum of it with respect to x, γ and β.
func bnOutputsAndGrads(t *testing.T, layer *BatchNormLayer, x *tensors.Tensor) []*tensors.Tensor {
	t.Helper()
	backend := testBackend(t)
	ctx := context.New()
	weights := randTensor(9, x.Shape().Dimensions...)
	out, err := context.ExecOnceN(backend, ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
		g := x.Graph()
		ctx.SetTraining(g, true)
		y := layer.Forward(ctx, x)
		loss := graph.ReduceAllSum(graph.Mul(y, graph.Const(g, weights)))
		var gamma, beta *graph.Node
		for v := range ctx.IterVariables() {
			switch v.Name() {
			case "weight", "scale":
				gamma = v.ValueGraph(g)
			case "bias", "offset":
				beta = v.ValueGraph(g)
			}
		}
		grads := graph.Gradient(loss, x, gamma, beta)
		return append([]*graph.Node{y}, grads...)
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBatchNormFormulaMatchesLibrary: the layer written from the document's formulas and
// GoMLX's own layer agree on outputs and on the gradients of γ and β. GoMLX holds the batch
// statistics constant when differentiating, so only the formula's dL/dx is PyTorch's; that
// one is checked against finite differences in TestBatchNormInputGradient.
func TestBatchNormFormulaMatchesLibrary(t *testing.T) {
	for _, dims := range [][]int{{4, 3, 5, 5}, {6, 4}} {
		x := randTensor(8, dims...)
		newLayer := func() *BatchNormLayer {
			if len(dims) == 4 {
				return BatchNorm2d(dims[1])
			}
			return BatchNorm1d(dims[1])
		}
		formula := bnOutputsAndGrads(t, newLayer(), x)
		library := bnOutputsAndGrads(t, newLayer().Library(), x)
		assertClose(t, "output", flat(formula[0]), flat(library[0]), 1e-6)
		assertClose(t, "dL/dγ", flat(formula[2]), flat(library[2]), 1e-6)
		assertClose(t, "dL/dβ", flat(formula[3]), flat(library[3]), 1e-6)
	}
}

func TestBatchNormInputGradient(t *testing.T) {
	backend := testBackend(t)
	dims := []int{3, 2, 2, 2}
	x := randTensor(10, dims...)
	weights := randTensor(11, dims...)
	lossOf := func(ctx *context.Context, x *graph.Node) *graph.Node {
		ctx.SetTraining(x.Graph(), true)
		y := functional.BatchNorm(ctx, x, 1e-5, 0.1)
		return graph.ReduceAllSum(graph.Mul(y, graph.Const(x.Graph(), weights)))
	}
	ctx := context.New()
	grad, err := context.ExecOnce(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		return graph.Gradient(lossOf(ctx, x), x)[0]
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	exec := context.MustNewExec(backend, context.New(), lossOf)
	xs := flat(x)
	numeric := make([]float64, len(xs))
	const h = 1e-6
	for i := range xs {
		orig := xs[i]
		xs[i] = orig + h
		plus := tensors.ToScalar[float64](exec.MustExec(tensors.FromFlatDataAndDimensions(xs, dims...))[0])
		xs[i] = orig - h
		minus := tensors.ToScalar[float64](exec.MustExec(tensors.FromFlatDataAndDimensions(xs, dims...))[0])
		xs[i] = orig
		numeric[i] = (plus - minus) / (2 * h)
	}
	assertClose(t, "dL/dx", flat(grad), numeric, 1e-4)
}

// TestBatchNormEvalUsesRunningStatistics: after one training step the running averages move
// by momentum toward the batch statistics (unbiased variance, as PyTorch), and evaluation
// normalizes with them.
func TestBatchNormEvalUsesRunningStatistics(t *testing.T) {
	backend := testBackend(t)
	ctx := context.New().Checked(false) // the evaluation graph reuses the training graph's variables
	x := tensors.FromFlatDataAndDimensions([]float64{1, 2, 3, 6}, 4, 1)
	layer := BatchNorm1d(1)
	train := context.MustNewExec(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		ctx.SetTraining(x.Graph(), true)
		return layer.Forward(ctx, x)
	})
	train.MustExec(x)
	var mean, variance float64
	for v := range ctx.IterVariables() {
		switch v.Name() {
		case "running_mean":
			mean = flat(v.MustValue())[0]
		case "running_var":
			variance = flat(v.MustValue())[0]
		}
	}
	// batch mean 3, unbiased variance (4+1+0+9)/3 = 14/3.
	assertClose(t, "running_mean", []float64{mean}, []float64{0.1 * 3}, 1e-9)
	assertClose(t, "running_var", []float64{variance}, []float64{0.9 + 0.1*14.0/3}, 1e-9)
	eval := context.MustNewExec(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		return layer.Forward(ctx, x)
	})
	got := flat(eval.MustExec(x)[0])
	want := make([]float64, 4)
	for i, v := range []float64{1, 2, 3, 6} {
		want[i] = (v - mean) / sqrt(variance+1e-5)
	}
	assertClose(t, "eval output", got, want, 1e-9)
}

func TestBatchNormPrintout(t *testing.T) {
	for _, tc := range []struct {
		layer *BatchNormLayer
		want  string
	}{
		{BatchNorm2d(32), "BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"},
		{BatchNorm1d(120), "BatchNorm1d(120, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"},
	} {
		if got := tc.layer.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
