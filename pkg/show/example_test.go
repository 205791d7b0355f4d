package show_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/juanji/juanji/pkg/show"
)

func ExampleLabelMatrix() {
	text, err := show.LabelMatrix([]int{1, 1, 1, 2, 4, 8, 1, 1, 7, 1, 9, 0}, 2, 6)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(text)
	// Output:
	// tensor([[1, 1, 1, 2, 4, 8],
	//         [1, 1, 7, 1, 9, 0]])
}

func ExampleNameMatrix() {
	text, err := show.NameMatrix([]string{"bird", "dog", "dog", "dog"}, 2, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(text)
	// Output:
	// [['bird' 'dog']
	//  ['dog' 'dog']]
}

func ExampleGrid() {
	// A batch of 100 gray 28×28 images, as MNIST's loader gives.
	images := tensors.FromScalarAndDimensions(float32(0.5), 100, 1, 28, 28)
	grid, err := show.Grid(images, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("grid size:", grid.Bounds().Dx(), "×", grid.Bounds().Dy())
	// Output:
	// grid size: 302 × 302
}
