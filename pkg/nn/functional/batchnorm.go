package functional

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// BatchNorm is batch normalization written from its formulas, over every axis but 1 (the
// channels), F.batch_norm in PyTorch with the running statistics kept in ctx. In training
// (ctx.IsTraining) it normalizes with the batch's own mean and variance and updates the
// moving averages with weight momentum for the new batch; in evaluation it uses the moving
// averages. ε is eps. Variables: weight (γ), bias (β), running_mean, running_var.
func BatchNorm(ctx *context.Context, x *graph.Node, eps, momentum float64) *graph.Node {
	g := x.Graph()
	c := x.Shape().Dimensions[1]
	varShape := shapes.Make(x.DType(), c)
	gamma := ctx.WithInitializer(initializers.One).VariableWithShape("weight", varShape).ValueGraph(g)
	beta := ctx.WithInitializer(initializers.Zero).VariableWithShape("bias", varShape).ValueGraph(g)
	runningMean := ctx.WithInitializer(initializers.Zero).VariableWithShape("running_mean", varShape).SetTrainable(false)
	runningVar := ctx.WithInitializer(initializers.One).VariableWithShape("running_var", varShape).SetTrainable(false)

	axes := []int{0}
	for a := 2; a < x.Rank(); a++ {
		axes = append(axes, a)
	}
	bcast := make([]int, x.Rank()) // [1, C, 1, 1] or [1, C]
	for i := range bcast {
		bcast[i] = 1
	}
	bcast[1] = c
	perChannel := func(v *graph.Node) *graph.Node { return graph.Reshape(v, bcast...) }

	var mean, variance *graph.Node
	if ctx.IsTraining(g) {
		mean = graph.ReduceAndKeep(x, graph.ReduceMean, axes...)                                    // μ_B
		variance = graph.ReduceAndKeep(graph.Square(graph.Sub(x, mean)), graph.ReduceMean, axes...) // σ²_B
		// Moving averages for evaluation; PyTorch stores the unbiased variance.
		n := float64(x.Shape().Size() / c)
		m := graph.Scalar(g, x.DType(), momentum)
		oneMinus := graph.Scalar(g, x.DType(), 1-momentum)
		batchMean := graph.StopGradient(graph.Reshape(mean, c))
		batchVar := graph.StopGradient(graph.MulScalar(graph.Reshape(variance, c), n/max(n-1, 1)))
		runningMean.SetValueGraph(graph.Add(graph.Mul(oneMinus, runningMean.ValueGraph(g)), graph.Mul(m, batchMean)))
		runningVar.SetValueGraph(graph.Add(graph.Mul(oneMinus, runningVar.ValueGraph(g)), graph.Mul(m, batchVar)))
	} else {
		mean = perChannel(runningMean.ValueGraph(g))
		variance = perChannel(runningVar.ValueGraph(g))
	}
	normalized := graph.Div(graph.Sub(x, mean), graph.Sqrt(graph.AddScalar(variance, eps)))
	return graph.Add(graph.Mul(perChannel(gamma), normalized), perChannel(beta))
}
