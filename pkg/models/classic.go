package models

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/juanji/juanji/pkg/nn"
)

// The networks the document names after LeNet ("以上都是在 LeNet 基础上做加强"), as d2l
// (《动手学深度学习》) builds them for one-channel images and 10 classes. Each factory takes a
// width divisor: 1 builds d2l's network exactly (parameter counts equal PyTorch's); a larger
// divisor narrows every layer so the network trains on a laptop CPU in minutes. AlexNet and VGG
// also take the input size (d2l: 224), which fixes the size of their first linear layer.

// narrow divides a channel count by div, keeping at least 1.
func narrow(c, div int) int { return max(1, c/max(1, div)) }

// AlexNet is d2l's AlexNet for 1×size×size inputs (d2l: size 224; width divisor div, 1 = d2l's).
func AlexNet(div, size int) *nn.SequentialLayer {
	c1, c2, c3, f := narrow(96, div), narrow(256, div), narrow(384, div), narrow(4096, div)
	pool := func(n int) int { return (n-3)/2 + 1 }
	spatial := pool(pool(pool((size+2-11)/4 + 1))) // conv 11/4/1, then three 3/2 max pools
	return nn.Sequential(
		nn.Conv2d(1, c1, 11).Stride(4).Padding(1), nn.ReLU(),
		nn.MaxPool2d(3, 2, 0),
		nn.Conv2d(c1, c2, 5).Padding(2), nn.ReLU(),
		nn.MaxPool2d(3, 2, 0),
		nn.Conv2d(c2, c3, 3).Padding(1), nn.ReLU(),
		nn.Conv2d(c3, c3, 3).Padding(1), nn.ReLU(),
		nn.Conv2d(c3, c2, 3).Padding(1), nn.ReLU(),
		nn.MaxPool2d(3, 2, 0),
		nn.Flatten(),
		nn.Linear(c2*spatial*spatial, f), nn.ReLU(), nn.Dropout(0.5),
		nn.Linear(f, f), nn.ReLU(), nn.Dropout(0.5),
		nn.Linear(f, 10),
	)
}

// VGGBlock is one VGG stage: convs 3×3 convolutions with the given output channels, then a
// 2×2 max pool.
type VGGBlock struct{ Convs, Channels int }

// VGG11Arch is VGG-11's stages: ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)).
var VGG11Arch = []VGGBlock{{1, 64}, {1, 128}, {2, 256}, {2, 512}, {2, 512}}

// VGG builds d2l's vgg(conv_arch) for 1×size×size inputs (d2l: 224), each stage's channels
// divided by div.
func VGG(arch []VGGBlock, div, size int) *nn.SequentialLayer {
	var layers []nn.Layer
	in := 1
	for _, b := range arch {
		out := narrow(b.Channels, div)
		var block []nn.Layer
		for range b.Convs {
			block = append(block, nn.Conv2d(in, out, 3).Padding(1), nn.ReLU())
			in = out
		}
		block = append(block, nn.MaxPool2d(2, 2, 0))
		layers = append(layers, nn.Sequential(block...))
	}
	f := narrow(4096, div)
	spatial := size >> len(arch)
	layers = append(layers, nn.Flatten(),
		nn.Linear(in*spatial*spatial, f), nn.ReLU(), nn.Dropout(0.5),
		nn.Linear(f, f), nn.ReLU(), nn.Dropout(0.5),
		nn.Linear(f, 10))
	return nn.Sequential(layers...)
}

// VGG11 is VGG(VGG11Arch, div, size).
func VGG11(div, size int) *nn.SequentialLayer { return VGG(VGG11Arch, div, size) }

// ninBlock is d2l's nin_block: a k×k convolution then two 1×1 convolutions, each with ReLU.
func ninBlock(in, out, k, stride, padding int) *nn.SequentialLayer {
	return nn.Sequential(
		nn.Conv2d(in, out, k).Stride(stride).Padding(padding), nn.ReLU(),
		nn.Conv2d(out, out, 1), nn.ReLU(),
		nn.Conv2d(out, out, 1), nn.ReLU(),
	)
}

// NiN is d2l's Network in Network (d2l: 1×224×224 inputs; any size from 67 up works), width divisor div.
func NiN(div int) *nn.SequentialLayer {
	c1, c2, c3 := narrow(96, div), narrow(256, div), narrow(384, div)
	return nn.Sequential(
		ninBlock(1, c1, 11, 4, 0), nn.MaxPool2d(3, 2, 0),
		ninBlock(c1, c2, 5, 1, 2), nn.MaxPool2d(3, 2, 0),
		ninBlock(c2, c3, 3, 1, 1), nn.MaxPool2d(3, 2, 0),
		nn.Dropout(0.5),
		ninBlock(c3, 10, 3, 1, 1),
		nn.AdaptiveAvgPool2d(), nn.Flatten(),
	)
}

// InceptionBlock is GoogLeNet's Inception block: four parallel paths whose outputs are
// concatenated along the channels.
type InceptionBlock struct {
	In                         int
	C1, C2a, C2b, C3a, C3b, C4 int
	p1, p2, p3, p4             *nn.SequentialLayer
}

// Inception builds d2l's Inception(in_channels, c1, c2, c3, c4).
func Inception(in, c1 int, c2, c3 [2]int, c4 int) *InceptionBlock {
	return &InceptionBlock{
		In: in, C1: c1, C2a: c2[0], C2b: c2[1], C3a: c3[0], C3b: c3[1], C4: c4,
		p1: nn.Sequential(nn.Conv2d(in, c1, 1), nn.ReLU()),
		p2: nn.Sequential(nn.Conv2d(in, c2[0], 1), nn.ReLU(), nn.Conv2d(c2[0], c2[1], 3).Padding(1), nn.ReLU()),
		p3: nn.Sequential(nn.Conv2d(in, c3[0], 1), nn.ReLU(), nn.Conv2d(c3[0], c3[1], 5).Padding(2), nn.ReLU()),
		p4: nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(in, c4, 1), nn.ReLU()),
	}
}

// Forward implements nn.Layer.
func (b *InceptionBlock) Forward(ctx *context.Context, x *graph.Node) *graph.Node {
	return graph.Concatenate([]*graph.Node{
		b.p1.Forward(ctx.In("p1"), x), b.p2.Forward(ctx.In("p2"), x),
		b.p3.Forward(ctx.In("p3"), x), b.p4.Forward(ctx.In("p4"), x),
	}, 1)
}

// Children implements nn.Container.
func (b *InceptionBlock) Children() []nn.Child {
	return []nn.Child{{Name: "p1", Layer: b.p1}, {Name: "p2", Layer: b.p2}, {Name: "p3", Layer: b.p3}, {Name: "p4", Layer: b.p4}}
}

// String implements nn.Layer.
func (b *InceptionBlock) String() string {
	return nn.FormatContainer(fmt.Sprintf("Inception(in=%d, out=%d)", b.In, b.C1+b.C2b+b.C3b+b.C4), b.Children())
}

// GoogLeNet is d2l's GoogLeNet (d2l: 1×96×96 inputs; from 32 up works), width divisor div.
func GoogLeNet(div int) *nn.SequentialLayer {
	n := func(c int) int { return narrow(c, div) }
	inc := func(in, c1 int, c2a, c2b, c3a, c3b, c4 int) *InceptionBlock {
		return Inception(n(in), n(c1), [2]int{n(c2a), n(c2b)}, [2]int{n(c3a), n(c3b)}, n(c4))
	}
	b1 := nn.Sequential(nn.Conv2d(1, n(64), 7).Stride(2).Padding(3), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
	b2 := nn.Sequential(nn.Conv2d(n(64), n(64), 1), nn.ReLU(),
		nn.Conv2d(n(64), n(192), 3).Padding(1), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
	b3 := nn.Sequential(inc(192, 64, 96, 128, 16, 32, 32), inc(256, 128, 128, 192, 32, 96, 64), nn.MaxPool2d(3, 2, 1))
	b4 := nn.Sequential(inc(480, 192, 96, 208, 16, 48, 64), inc(512, 160, 112, 224, 24, 64, 64),
		inc(512, 128, 128, 256, 24, 64, 64), inc(512, 112, 144, 288, 32, 64, 64),
		inc(528, 256, 160, 320, 32, 128, 128), nn.MaxPool2d(3, 2, 1))
	b5 := nn.Sequential(inc(832, 256, 160, 320, 32, 128, 128), inc(832, 384, 192, 384, 48, 128, 128),
		nn.AdaptiveAvgPool2d(), nn.Flatten())
	out := n(384) + n(384) + n(128) + n(128)
	return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(out, 10))
}
