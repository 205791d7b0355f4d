package gocpu_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/juanji/juanji/pkg/gocpu"
)

// The engine is a GoMLX backend like any other: build a graph, run it.
// (GOMLX_BACKEND=gocpu selects it for programs that call backends.New.)
func Example() {
	backend, err := gocpu.New("")
	if err != nil {
		panic(err)
	}
	sumOfSquares := graph.MustNewExec(backend, func(x *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Mul(x, x))
	})
	fmt.Println(sumOfSquares.MustExec([]float32{1, 2, 3})[0].Value())
	fmt.Println(backend.String())
	// Output:
	// 14
	// gocpu
}
