package models

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/juanji/juanji/pkg/nn"
	"github.com/juanji/juanji/pkg/nn/functional"
)

// ResidualBlock is the document's Residual: two 3×3 convolutions with batch norm, whose
// output is added to the input (through a 1×1 convolution when the shape changes).
type ResidualBlock struct {
	conv1, conv2, conv3 *nn.Conv2dLayer
	bn1, bn2            *nn.BatchNormLayer
}

// Residual builds the document's Residual(input_channels, num_channels, use_1x1conv, strides).
func Residual(in, out int, use1x1 bool, strides int) *ResidualBlock {
	r := &ResidualBlock{
		conv1: nn.Conv2d(in, out, 3).Padding(1).Stride(strides),
		conv2: nn.Conv2d(out, out, 3).Padding(1),
		bn1:   nn.BatchNorm2d(out),
		bn2:   nn.BatchNorm2d(out),
	}
	if use1x1 {
		r.conv3 = nn.Conv2d(in, out, 1).Stride(strides)
	}
	return r
}

// Forward implements nn.Layer: Y = relu(bn1(conv1(X))); Y = bn2(conv2(Y)); return relu(Y + X).
func (r *ResidualBlock) Forward(ctx *context.Context, x *graph.Node) *graph.Node {
	y := functional.ReLU(r.bn1.Forward(ctx.In("bn1"), r.conv1.Forward(ctx.In("conv1"), x)))
	y = r.bn2.Forward(ctx.In("bn2"), r.conv2.Forward(ctx.In("conv2"), y))
	if r.conv3 != nil {
		x = r.conv3.Forward(ctx.In("conv3"), x) // reshape X to Y's shape
	}
	if !x.Shape().Equal(y.Shape()) {
		panic(fmt.Errorf("models: Residual at %s: input %s and output %s differ; use use1x1=true", ctx.Scope(), x.Shape(), y.Shape()))
	}
	return functional.ReLU(graph.Add(y, x))
}

// Children implements nn.Container, in the order PyTorch prints them.
func (r *ResidualBlock) Children() []nn.Child {
	c := []nn.Child{{Name: "conv1", Layer: r.conv1}, {Name: "conv2", Layer: r.conv2}}
	if r.conv3 != nil {
		c = append(c, nn.Child{Name: "conv3", Layer: r.conv3})
	}
	return append(c, nn.Child{Name: "bn1", Layer: r.bn1}, nn.Child{Name: "bn2", Layer: r.bn2})
}

// String implements nn.Layer.
func (r *ResidualBlock) String() string { return nn.FormatContainer("Residual", r.Children()) }

// TrashNetModel is the document's TrashNet for 3×32×32 CIFAR-10 images.
type TrashNetModel struct {
	conv1      *nn.Conv2dLayer
	bn1        *nn.BatchNormLayer
	mp         nn.Layer
	res1, res2 *ResidualBlock
	ap         nn.Layer
	linarg     *nn.LinearLayer
}

// TrashNet builds the document's network: conv, batch norm, ReLU, max pool, two Residual
// blocks (the first doubling the channels and halving height and width), global average
// pooling and a linear layer.
func TrashNet() *TrashNetModel {
	return &TrashNetModel{
		conv1:  nn.Conv2d(3, 32, 3).Padding(1),
		bn1:    nn.BatchNorm2d(32),
		mp:     nn.MaxPool2d(3, 1, 1),
		res1:   Residual(32, 64, true, 2), // channels doubled, height and width halved: (n, 64, 16, 16)
		res2:   Residual(64, 64, false, 1),
		ap:     nn.AdaptiveAvgPool2d(),
		linarg: nn.Linear(64, 10),
	}
}

// Forward implements nn.Layer.
func (m *TrashNetModel) Forward(ctx *context.Context, x *graph.Node) *graph.Node {
	x = graph.Reshape(x, -1, 3, 32, 32)
	x = functional.ReLU(m.bn1.Forward(ctx.In("bn1"), m.conv1.Forward(ctx.In("conv1"), x)))
	x = m.mp.Forward(ctx.In("mp"), x)
	x = m.res2.Forward(ctx.In("res2"), m.res1.Forward(ctx.In("res1"), x))
	x = m.ap.Forward(ctx.In("ap"), x)
	return m.linarg.Forward(ctx.In("linarg"), graph.Reshape(x, -1, 64))
}

// Children implements nn.Container.
func (m *TrashNetModel) Children() []nn.Child {
	return []nn.Child{{Name: "conv1", Layer: m.conv1}, {Name: "bn1", Layer: m.bn1}, {Name: "mp", Layer: m.mp},
		{Name: "res1", Layer: m.res1}, {Name: "res2", Layer: m.res2}, {Name: "ap", Layer: m.ap}, {Name: "linarg", Layer: m.linarg}}
}

// String implements nn.Layer.
func (m *TrashNetModel) String() string { return nn.FormatContainer("TrashNet", m.Children()) }

// resnetStage is d2l's resnet_block: numResiduals blocks; the first halves height and width
// (unless it is the first stage) and changes the channels.
func resnetStage(in, out, numResiduals int, firstStage bool) *nn.SequentialLayer {
	var blocks []nn.Layer
	for i := range numResiduals {
		if i == 0 && !firstStage {
			blocks = append(blocks, Residual(in, out, true, 2))
		} else {
			blocks = append(blocks, Residual(out, out, false, 1))
		}
	}
	return nn.Sequential(blocks...)
}

// ResNet18 is d2l's ResNet-18 ("可以尝试更深的网络": try a deeper network) for inputs with
// the given channels (3 for CIFAR-10) and 10 classes.
func ResNet18(inChannels int) *nn.SequentialLayer {
	b1 := nn.Sequential(nn.Conv2d(inChannels, 64, 7).Stride(2).Padding(3), nn.BatchNorm2d(64), nn.ReLU(),
		nn.MaxPool2d(3, 2, 1))
	return nn.Sequential(b1,
		resnetStage(64, 64, 2, true), resnetStage(64, 128, 2, false),
		resnetStage(128, 256, 2, false), resnetStage(256, 512, 2, false),
		nn.AdaptiveAvgPool2d(), nn.Flatten(), nn.Linear(512, 10))
}
