package nn_test

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/juanji/juanji/pkg/nn"
)

// A network prints like PyTorch's print(net).
func ExampleSequential() {
	net := nn.Sequential(
		nn.Conv2d(1, 6, 5).Padding(2), nn.Sigmoid(),
		nn.AvgPool2d(2, 2),
		nn.Flatten(), nn.Linear(6*14*14, 10))
	fmt.Println(net)
	fmt.Println("parameters:", nn.NumParams(net))
	// Output:
	// Sequential(
	//   (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
	//   (1): Sigmoid()
	//   (2): AvgPool2d(kernel_size=2, stride=2, padding=0)
	//   (3): Flatten(start_dim=1, end_dim=-1)
	//   (4): Linear(in_features=1176, out_features=10, bias=True)
	// )
	// parameters: 11926
}

// Shapes traces each layer's output shape, as d2l's loop over net does. Nothing runs, so
// the backend's default settings do.
func ExampleShapes() {
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		panic(err)
	}
	net := nn.Sequential(nn.Conv2d(1, 6, 5).Padding(2), nn.Sigmoid(), nn.MaxPool2d(3, 2, 1))
	trace, err := nn.Shapes(backend, net, 1, 1, 28, 28)
	if err != nil {
		panic(err)
	}
	fmt.Print(trace)
	// Output:
	// Conv2d output shape:	 [1 6 28 28]
	// Sigmoid output shape:	 [1 6 28 28]
	// MaxPool2d output shape:	 [1 6 14 14]
}

// Initialize sets the initialization of every Conv2d and Linear of a network and returns it;
// Kaiming's suits networks of ReLUs.
func ExampleInitialize() {
	net := nn.Initialize(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4*26*26, 10)), nn.KaimingNormal)
	fmt.Println(nn.NumParams(net))
	// Output: 27090
}

// WithBatchNorm puts a BatchNorm2d after every convolution, as torchvision's vgg11_bn does.
func ExampleWithBatchNorm() {
	block := nn.Sequential(nn.Conv2d(1, 4, 3).Padding(1), nn.ReLU(), nn.MaxPool2d(2, 2, 0))
	fmt.Println(nn.WithBatchNorm(nn.Sequential(block, nn.Flatten())))
	// Output:
	// Sequential(
	//   (0): Sequential(
	//     (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
	//     (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
	//     (2): ReLU()
	//     (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
	//   )
	//   (1): Flatten(start_dim=1, end_dim=-1)
	// )
}
