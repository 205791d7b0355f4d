package functional_test

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/juanji/juanji/pkg/nn/functional"
)

// Functions take graph nodes and return graph nodes; the weights are given, not created.
// A 3×3 kernel of ones, padding 1, over a 1×1×3×3 image of ones counts each pixel's
// neighbours (itself included); max pooling then keeps the largest count.
func ExampleConv2d() {
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		panic(err)
	}
	ones := func(dims ...int) *tensors.Tensor {
		v := make([]float32, 9)
		for i := range v {
			v[i] = 1
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	out := graph.MustExecOnceN(backend, func(x, kernel *graph.Node) []*graph.Node {
		y := functional.Conv2d(nil, x, kernel, 1, 1)
		return []*graph.Node{y, functional.MaxPool2d(nil, y, 3, 1, 0)}
	}, ones(1, 1, 3, 3), ones(1, 1, 3, 3))
	fmt.Println(out[0].Value())
	fmt.Println(out[1].Value())
	// Output:
	// [[[[4 6 4] [6 9 6] [4 6 4]]]]
	// [[[[9]]]]
}
