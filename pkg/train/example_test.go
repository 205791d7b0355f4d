package train_test

import (
	"fmt"

	"github.com/juanji/juanji/pkg/train"
)

// The optimizer prints like the PyTorch call that makes it.
func ExampleSGD() {
	fmt.Println(train.SGD{LR: 0.9})
	fmt.Println(train.SGD{LR: 0.1, Momentum: 0.9, WeightDecay: 5e-4})
	// Output:
	// SGD(lr=0.9, momentum=0, weight_decay=0)
	// SGD(lr=0.1, momentum=0.9, weight_decay=0.0005)
}
