package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/juanji/juanji/pkg/nn/functional"
)

// Layer is one building block of a network, like PyTorch's nn.Module.
//
// Forward builds the layer's part of the computation graph; its variables live in ctx
// (one scope per layer). String returns the layer's printout in PyTorch's format, so a
// network prints like the document's.
type Layer interface {
	Forward(ctx *context.Context, x *graph.Node) *graph.Node
	String() string
}

// Child is a named sub-layer of a container, as PyTorch prints it: "(conv1): Conv2d(...)".
type Child struct {
	Name  string
	Layer Layer
}

// Container is a layer made of named sub-layers (Sequential, Residual, models).
type Container interface {
	Layer
	Children() []Child
}

// Parameterized is a layer with trainable parameters; NumParams counts them.
type Parameterized interface {
	NumParams() int
}

// NumParams counts the trainable parameters of a layer and all its sub-layers,
// the number `sum(p.numel() for p in net.parameters())` gives in PyTorch.
func NumParams(l Layer) int {
	n := 0
	if p, ok := l.(Parameterized); ok {
		n += p.NumParams()
	}
	if c, ok := l.(Container); ok {
		for _, child := range c.Children() {
			n += NumParams(child.Layer)
		}
	}
	return n
}

// Apply calls fn on l and every sub-layer below it, like PyTorch's net.apply(fn).
func Apply(l Layer, fn func(Layer)) {
	if c, ok := l.(Container); ok {
		for _, child := range c.Children() {
			Apply(child.Layer, fn)
		}
	}
	fn(l)
}

// FormatContainer prints a container like PyTorch: its name, then one indented line per child.
func FormatContainer(name string, children []Child) string {
	var sb strings.Builder
	sb.WriteString(name + "(\n")
	for _, c := range children {
		inner := strings.ReplaceAll(c.Layer.String(), "\n", "\n  ")
		fmt.Fprintf(&sb, "  (%s): %s\n", c.Name, inner)
	}
	sb.WriteString(")")
	return sb.String()
}

// SequentialLayer runs its layers one after another. Build it with Sequential.
type SequentialLayer struct {
	Layers []Layer
}

// Sequential chains layers like nn.Sequential; each layer's variables live in scope "0", "1", ...
func Sequential(layers ...Layer) *SequentialLayer { return &SequentialLayer{Layers: layers} }

// Forward implements Layer.
func (s *SequentialLayer) Forward(ctx *context.Context, x *graph.Node) *graph.Node {
	for i, l := range s.Layers {
		x = l.Forward(ctx.In(strconv.Itoa(i)), x)
	}
	return x
}

// Children implements Container.
func (s *SequentialLayer) Children() []Child {
	children := make([]Child, len(s.Layers))
	for i, l := range s.Layers {
		children[i] = Child{Name: strconv.Itoa(i), Layer: l}
	}
	return children
}

// String implements Layer.
func (s *SequentialLayer) String() string { return FormatContainer("Sequential", s.Children()) }

// Init names a weight initialization.
type Init int

const (
	// DefaultInit is PyTorch's default for Conv2d and Linear weights:
	// kaiming_uniform_(a=√5), that is U(-1/√fan_in, 1/√fan_in).
	DefaultInit Init = iota
	// XavierUniformInit is nn.init.xavier_uniform_: U(-a, a) with a = √(6 / (fan_in + fan_out)).
	XavierUniformInit
	// KaimingNormalInit is nn.init.kaiming_normal_ for ReLU networks: N(0, 2/fan_in).
	KaimingNormalInit
)

// weightInit is implemented by layers whose weights can be re-initialized.
type weightInit interface{ setInit(Init) }

// XavierUniform sets xavier-uniform initialization on Conv2d and Linear layers; pass it to
// Apply, as the document does with net.apply(init_weights).
func XavierUniform(l Layer) {
	if w, ok := l.(weightInit); ok {
		w.setInit(XavierUniformInit)
	}
}

// KaimingNormal sets kaiming-normal initialization on Conv2d and Linear layers (for Apply).
func KaimingNormal(l Layer) {
	if w, ok := l.(weightInit); ok {
		w.setInit(KaimingNormalInit)
	}
}

// Initialize applies an initialization (XavierUniform, KaimingNormal) to l and every layer below it,
// and returns l, so that a network is built and initialized in one expression:
//
//	net := nn.Initialize(models.VGG11(16, 112), nn.KaimingNormal)
func Initialize[L Layer](l L, init func(Layer)) L {
	Apply(l, init)
	return l
}

// WithBatchNorm inserts a BatchNorm2d after every Conv2d of every Sequential in l, at any
// depth, and returns l: torchvision's vgg11_bn is VGG-11 built this way, and GoogLeNet's second
// version (BN-Inception, the paper that introduced batch norm) added it the same way. Call it
// once, before the network's first use.
func WithBatchNorm[L Layer](l L) L {
	Apply(l, func(layer Layer) {
		s, ok := layer.(*SequentialLayer)
		if !ok {
			return
		}
		layers := make([]Layer, 0, len(s.Layers))
		for _, child := range s.Layers {
			layers = append(layers, child)
			if c, ok := child.(*Conv2dLayer); ok {
				layers = append(layers, BatchNorm2d(c.Out))
			}
		}
		s.Layers = layers
	})
	return l
}

// initializer returns the context initializer for a weight of the given fans.
func initializer(ctx *context.Context, init Init, fanIn, fanOut int) context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		switch init {
		case KaimingNormalInit:
			return graph.MulScalar(ctx.RandomNormal(g, shape), math.Sqrt(2/float64(fanIn)))
		case XavierUniformInit:
			return uniform(ctx, g, shape, math.Sqrt(6/float64(fanIn+fanOut)))
		default:
			return uniform(ctx, g, shape, 1/math.Sqrt(float64(fanIn)))
		}
	}
}

// uniform draws U(-bound, bound).
func uniform(ctx *context.Context, g *graph.Graph, shape shapes.Shape, bound float64) *graph.Node {
	return graph.AddScalar(graph.MulScalar(ctx.RandomUniform(g, shape), 2*bound), -bound)
}

// Conv2dLayer is a 2D convolution over N,C,H,W inputs. Build it with Conv2d.
type Conv2dLayer struct {
	In, Out, Kernel, StrideSize, PaddingSize int
	init                                     Init
}

// Conv2d is nn.Conv2d(in, out, kernel_size=k); set stride and padding with its methods:
// Conv2d(1, 6, 5).Padding(2).
func Conv2d(in, out, kernel int) *Conv2dLayer {
	return &Conv2dLayer{In: in, Out: out, Kernel: kernel, StrideSize: 1}
}

// Stride sets the stride (default 1).
func (c *Conv2dLayer) Stride(s int) *Conv2dLayer { c.StrideSize = s; return c }

// Padding sets the zero padding on each side (default 0).
func (c *Conv2dLayer) Padding(p int) *Conv2dLayer { c.PaddingSize = p; return c }

func (c *Conv2dLayer) setInit(i Init) { c.init = i }

// NumParams implements Parameterized.
func (c *Conv2dLayer) NumParams() int { return c.Out*c.In*c.Kernel*c.Kernel + c.Out }

// Forward implements Layer.
func (c *Conv2dLayer) Forward(ctx *context.Context, x *graph.Node) *graph.Node {
	g := x.Graph()
	fanIn, fanOut := c.In*c.Kernel*c.Kernel, c.Out*c.Kernel*c.Kernel
	w := ctx.WithInitializer(initializer(ctx, c.init, fanIn, fanOut)).
		VariableWithShape("weight", shapes.Make(x.DType(), c.Out, c.In, c.Kernel, c.Kernel)).ValueGraph(g)
	b := ctx.WithInitializer(initializer(ctx, DefaultInit, fanIn, fanOut)).
		VariableWithShape("bias", shapes.Make(x.DType(), c.Out)).ValueGraph(g)
	if x.Rank() != 4 || x.Shape().Dimensions[1] != c.In {
		panic(fmt.Errorf("nn: %s at %s: expects input [N %d H W], got %s", c, ctx.Scope(), c.In, x.Shape()))
	}
	y := functional.Conv2d(ctx, x, w, c.StrideSize, c.PaddingSize)
	return graph.Add(y, graph.Reshape(b, 1, c.Out, 1, 1))
}

// String implements Layer.
func (c *Conv2dLayer) String() string {
	s := fmt.Sprintf("Conv2d(%d, %d, kernel_size=(%d, %d), stride=(%d, %d)", c.In, c.Out, c.Kernel, c.Kernel, c.StrideSize, c.StrideSize)
	if c.PaddingSize != 0 {
		s += fmt.Sprintf(", padding=(%d, %d)", c.PaddingSize, c.PaddingSize)
	}
	return s + ")"
}

// LinearLayer is a fully connected layer. Build it with Linear.
type LinearLayer struct {
	In, Out int
	init    Init
}

// Linear is nn.Linear(in_features, out_features), with bias.
func Linear(in, out int) *LinearLayer { return &LinearLayer{In: in, Out: out} }

func (l *LinearLayer) setInit(i Init) { l.init = i }

// NumParams implements Parameterized.
func (l *LinearLayer) NumParams() int { return l.Out*l.In + l.Out }

// Forward implements Layer.
func (l *LinearLayer) Forward(ctx *context.Context, x *graph.Node) *graph.Node {
	g := x.Graph()
	if x.Rank() != 2 || x.Shape().Dimensions[1] != l.In {
		panic(fmt.Errorf("nn: %s at %s: expects input [N %d], got %s", l, ctx.Scope(), l.In, x.Shape()))
	}
	w := ctx.WithInitializer(initializer(ctx, l.init, l.In, l.Out)).
		VariableWithShape("weight", shapes.Make(x.DType(), l.Out, l.In)).ValueGraph(g)
	b := ctx.WithInitializer(initializer(ctx, DefaultInit, l.In, l.Out)).
		VariableWithShape("bias", shapes.Make(x.DType(), l.Out)).ValueGraph(g)
	return functional.Linear(x, w, b)
}

// String implements Layer.
func (l *LinearLayer) String() string {
	return fmt.Sprintf("Linear(in_features=%d, out_features=%d, bias=True)", l.In, l.Out)
}

// funcLayer is a parameter-free layer defined by a function.
type funcLayer struct {
	name string
	fn   func(ctx *context.Context, x *graph.Node) *graph.Node
}

func (f funcLayer) Forward(ctx *context.Context, x *graph.Node) *graph.Node { return f.fn(ctx, x) }
func (f funcLayer) String() string                                          { return f.name }

// Sigmoid is nn.Sigmoid().
func Sigmoid() Layer {
	return funcLayer{"Sigmoid()", func(_ *context.Context, x *graph.Node) *graph.Node { return graph.Logistic(x) }}
}

// ReLU is nn.ReLU().
func ReLU() Layer {
	return funcLayer{"ReLU()", func(_ *context.Context, x *graph.Node) *graph.Node { return functional.ReLU(x) }}
}

// Flatten is nn.Flatten(): [N, ...] → [N, product of the rest].
func Flatten() Layer {
	return funcLayer{"Flatten(start_dim=1, end_dim=-1)", func(_ *context.Context, x *graph.Node) *graph.Node {
		return graph.Reshape(x, x.Shape().Dimensions[0], -1)
	}}
}

// Reshape views the input as [-1, dims...], like the document's Padding module
// (X.view(-1, 1, 28, 28)).
func Reshape(dims ...int) Layer {
	parts := []string{"-1"}
	for _, d := range dims {
		parts = append(parts, strconv.Itoa(d))
	}
	return funcLayer{"Reshape(" + strings.Join(parts, ", ") + ")", func(ctx *context.Context, x *graph.Node) *graph.Node {
		want := 1
		for _, d := range dims {
			want *= d
		}
		if x.Shape().Size()%want != 0 {
			panic(fmt.Errorf("nn: Reshape at %s: cannot view %s as [-1 %s]", ctx.Scope(), x.Shape(), strings.Join(parts[1:], " ")))
		}
		return graph.Reshape(x, append([]int{-1}, dims...)...)
	}}
}

// AvgPool2d is nn.AvgPool2d(kernel_size=k, stride=s).
func AvgPool2d(k, stride int) Layer {
	return funcLayer{fmt.Sprintf("AvgPool2d(kernel_size=%d, stride=%d, padding=0)", k, stride),
		func(ctx *context.Context, x *graph.Node) *graph.Node {
			return functional.AvgPool2d(ctx, x, k, stride, 0)
		}}
}

// MaxPool2d is nn.MaxPool2d(kernel_size=k, stride=s, padding=p).
func MaxPool2d(k, stride, padding int) Layer {
	return funcLayer{fmt.Sprintf("MaxPool2d(kernel_size=%d, stride=%d, padding=%d, dilation=1, ceil_mode=False)", k, stride, padding),
		func(ctx *context.Context, x *graph.Node) *graph.Node {
			return functional.MaxPool2d(ctx, x, k, stride, padding)
		}}
}

// AdaptiveAvgPool2d is nn.AdaptiveAvgPool2d((1, 1)): each channel averaged to one value.
func AdaptiveAvgPool2d() Layer {
	return funcLayer{"AdaptiveAvgPool2d(output_size=(1, 1))",
		func(_ *context.Context, x *graph.Node) *graph.Node { return functional.GlobalAvgPool2d(x) }}
}

// Dropout is nn.Dropout(p): in training, zeroes each value with probability p and scales the
// rest by 1/(1-p); in evaluation it does nothing.
func Dropout(p float64) Layer {
	return funcLayer{fmt.Sprintf("Dropout(p=%g, inplace=False)", p), func(ctx *context.Context, x *graph.Node) *graph.Node {
		if p <= 0 || !ctx.IsTraining(x.Graph()) {
			return x
		}
		keep := graph.GreaterOrEqual(ctx.RandomUniform(x.Graph(), x.Shape()), graph.Scalar(x.Graph(), x.DType(), p))
		return graph.Where(keep, graph.DivScalar(x, 1-p), graph.ZerosLike(x))
	}}
}

// Upsample is nn.Upsample(scale_factor=s, mode='nearest'): each pixel becomes an s×s block.
// The networks d2l trains on 224×224 Fashion-MNIST get their input size this way from 28×28
// images, inside the graph, without a resized copy of the dataset.
func Upsample(s int) Layer {
	return funcLayer{fmt.Sprintf("Upsample(scale_factor=%.1f, mode='nearest')", float64(s)), func(ctx *context.Context, x *graph.Node) *graph.Node {
		if x.Rank() != 4 {
			panic(fmt.Errorf("nn: Upsample at %s: expects input [N C H W], got %s", ctx.Scope(), x.Shape()))
		}
		d := x.Shape().Dimensions
		b, c, h, w := d[0], d[1], d[2], d[3]
		x = graph.Reshape(x, b, c, h, 1, w, 1)
		x = graph.BroadcastToDims(x, b, c, h, s, w, s)
		return graph.Reshape(x, b, c, h*s, w*s)
	}}
}
