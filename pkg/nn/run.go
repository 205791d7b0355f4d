package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Rand returns a float32 tensor of the given dimensions with values uniform in [0, 1),
// like torch.rand.
func Rand(dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = rand.Float32()
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// Forward runs a freshly initialized layer on x in evaluation mode and returns its output,
// like calling block1(X) on a new PyTorch module. Errors (a wrong input shape, say) come back
// naming the layer.
func Forward(backend backends.Backend, l Layer, x *tensors.Tensor) (*tensors.Tensor, error) {
	return forwardOnce(backend, l, x, false)
}

// forwardOnce runs a freshly initialized layer on x, in training mode if training.
func forwardOnce(backend backends.Backend, l Layer, x *tensors.Tensor, training bool) (*tensors.Tensor, error) {
	ctx := context.New()
	out, err := context.ExecOnce(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		if training {
			ctx.SetTraining(x.Graph(), true)
		}
		return l.Forward(ctx, x)
	}, x)
	if err != nil {
		return nil, fmt.Errorf("nn: running %s on %s: %w", layerName(l), x.Shape(), err)
	}
	return out, nil
}

// layerName is the first line of a layer's printout without its arguments: "Conv2d".
func layerName(l Layer) string {
	s := l.String()
	if i := strings.IndexAny(s, "(\n"); i > 0 {
		return s[:i]
	}
	return s
}

// Shapes traces the output shape of each top-level layer of a Sequential for an input of
// the given N,C,H,W dimensions, as d2l prints it ("Conv2d output shape:\t [1 6 28 28]").
// Only shapes are computed: nothing is executed, so it is instant even for large networks.
// Other layers are traced as a whole.
func Shapes(backend backends.Backend, l Layer, inputDims ...int) (string, error) {
	var sb strings.Builder
	err := tryBuild(func() {
		g := graph.NewGraph(backend, "shapes")
		defer g.Finalize()
		ctx := context.New()
		x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, inputDims...))
		steps := []Child{{Name: "", Layer: l}}
		if s, ok := l.(*SequentialLayer); ok {
			steps = s.Children()
		}
		for _, c := range steps {
			scope := ctx
			if c.Name != "" {
				scope = ctx.In(c.Name)
			}
			x = c.Layer.Forward(scope, x)
			fmt.Fprintf(&sb, "%s output shape:\t %v\n", layerName(c.Layer), x.Shape().Dimensions)
		}
	})
	if err != nil {
		return sb.String(), fmt.Errorf("nn: tracing shapes of %s for input %v: %w", layerName(l), inputDims, err)
	}
	return sb.String(), nil
}

// tryBuild runs a graph-building function, turning GoMLX's panics into an error.
func tryBuild(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	fn()
	return nil
}

// ForwardTraining is Forward in training mode: batch norm normalizes with the batch's own
// statistics and dropout drops.
func ForwardTraining(backend backends.Backend, l Layer, x *tensors.Tensor) (*tensors.Tensor, error) {
	return forwardOnce(backend, l, x, true)
}
