// Package nn holds the layers networks are built from, PyTorch's torch.nn in Go: each is a
// noun that owns its weights and prints like PyTorch (Conv2d, Linear, MaxPool2d, AvgPool2d,
// AdaptiveAvgPool2d, BatchNorm2d, BatchNorm1d, ReLU, Sigmoid, Dropout, Flatten, Reshape,
// Upsample), and Sequential to chain them.
//
// The computations the layers perform on graph nodes live in the package of their own
// [github.com/juanji/juanji/pkg/nn/functional], as PyTorch's do in torch.nn.functional: a
// layer is nn.MaxPool2d(3, 2, 1); the function it applies is functional.MaxPool2d(ctx, x, 3,
// 2, 1).
//
// Run a layer once with Forward (evaluation mode) or ForwardTraining; trace a network's
// shapes with Shapes; count its weights with NumParams.
package nn
