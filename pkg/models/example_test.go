package models_test

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/juanji/juanji/pkg/models"
	"github.com/juanji/juanji/pkg/nn"
)

// The document's two residual blocks: one keeps the shape, one doubles the channels and
// halves height and width.
func ExampleResidual() {
	backend, err := backends.NewWithConfig("go") // shapes only: nothing runs
	if err != nil {
		panic(err)
	}
	for _, blk := range []*models.ResidualBlock{models.Residual(3, 3, false, 1), models.Residual(3, 6, true, 2)} {
		trace, err := nn.Shapes(backend, blk, 4, 3, 6, 6)
		if err != nil {
			panic(err)
		}
		fmt.Print(trace)
	}
	// Output:
	// Residual output shape:	 [4 3 6 6]
	// Residual output shape:	 [4 6 3 3]
}

// Parameter counts equal the PyTorch models'.
func ExampleLeNet() {
	fmt.Println("LeNet:", nn.NumParams(models.LeNet()))
	fmt.Println("TrashNet:", nn.NumParams(models.TrashNet()))
	fmt.Println("ResNet-18:", nn.NumParams(models.ResNet18(3)))
	// Output:
	// LeNet: 61706
	// TrashNet: 133514
	// ResNet-18: 11184650
}
