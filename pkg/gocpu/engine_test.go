package gocpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/juanji/juanji/pkg/data"
	"github.com/juanji/juanji/pkg/gocpu"
	"github.com/juanji/juanji/pkg/models"
	"github.com/juanji/juanji/pkg/nn"
	"github.com/juanji/juanji/pkg/train"
)

func newEngines(t testing.TB) (fast, ref backends.Backend) {
	t.Helper()
	f, err := gocpu.New("")
	if err != nil {
		t.Fatal(err)
	}
	r, err := simplego.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	return f, r
}

func TestModelStepsMatchSimpleGo(t *testing.T) {
	cases := []struct {
		name     string
		model    func() nn.Layer
		b, c, hw int
		steps    int
	}{
		{"lenet", func() nn.Layer { return models.LeNet() }, 8, 1, 28, 3},
		{"lenet-bn", func() nn.Layer { return models.LeNetBN() }, 8, 1, 28, 3},
		{"trashnet", func() nn.Layer { return models.TrashNet() }, 4, 3, 32, 2},
		// Batch norm over a batch of 2 at ResNet-18's last 1×1 stages divides
		// by near-zero variances: batch 8 at 64×64 keeps it well conditioned.
		{"resnet18", func() nn.Layer { return models.ResNet18(3) }, 8, 3, 64, 1},
		{"nin-batchnorm", func() nn.Layer { return nn.WithBatchNorm(models.NiN(8)) }, 2, 1, 224, 1},
		{"googlenet", func() nn.Layer { return models.GoogLeNet(8) }, 2, 1, 96, 1},
		{"alexnet-dropout", func() nn.Layer { return models.AlexNet(16, 112) }, 2, 1, 112, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fast, ref := newEngines(t)
			tf := train.NewTrainer(fast, tc.model(), train.SGD{LR: 0.1, Momentum: 0.9}, 1)
			tr := train.NewTrainer(ref, tc.model(), train.SGD{LR: 0.1, Momentum: 0.9}, 1)
			tf.Shards, tr.Shards = 1, 1
			for s := 0; s < tc.steps; s++ {
				x, y := data.RandomBatch(tc.b, tc.c, tc.hw, tc.hw, 10, uint64(s))
				lf, cf, err := tf.Step(x, y)
				x, y = data.RandomBatch(tc.b, tc.c, tc.hw, tc.hw, 10, uint64(s))
				if err != nil {
					t.Fatal(err)
				}
				lr, cr, err := tr.Step(x, y)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("step %d: loss %.6f vs %.6f, correct %d vs %d", s, lf, lr, cf, cr)
				if math.Abs(lf-lr) > 1e-4*math.Max(1, math.Abs(lr)) || cf != cr {
					t.Errorf("step %d: loss %.7f correct %d on gocpu, %.7f %d on simplego", s, lf, cf, lr, cr)
				}
			}
			// The losses depend little on the early layers' gradients; the
			// trained weights, seen through the logits of a new batch, do.
			x, _ := data.RandomBatch(tc.b, tc.c, tc.hw, tc.hw, 10, 99)
			zf, err := tf.Logits(x)
			if err != nil {
				t.Fatal(err)
			}
			x, _ = data.RandomBatch(tc.b, tc.c, tc.hw, tc.hw, 10, 99)
			zr, err := tr.Logits(x)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i, v := range zr.Value().([][]float32) {
				for j, want := range v {
					got := zf.Value().([][]float32)[i][j]
					worst = max(worst, math.Abs(float64(got-want))/math.Max(1, math.Abs(float64(want))))
				}
			}
			t.Logf("logits after training: largest relative difference %.2g", worst)
			if worst > 3e-4 {
				t.Errorf("logits after %d steps differ by up to %.2g (relative) between gocpu and simplego", tc.steps, worst)
			}
		})
	}
}

func benchStep(b *testing.B, model nn.Layer, n, c, hw int) {
	fast, _ := newEngines(b)
	tr := train.NewTrainer(fast, model, train.SGD{LR: 0.1}, 1)
	tr.Shards = 1
	x, y := data.RandomBatch(n, c, hw, hw, 10, 1)
	if _, _, err := tr.Step(x, y); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := tr.Step(x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkEngineLeNetStep(b *testing.B)    { benchStep(b, models.LeNet(), 100, 1, 28) }
func BenchmarkEngineTrashNetStep(b *testing.B) { benchStep(b, models.TrashNet(), 100, 3, 32) }

func BenchmarkEngineResNet18Step(b *testing.B) { benchStep(b, models.ResNet18(3), 128, 3, 32) }

// BenchmarkConvLayer times one convolution layer's training work: the
// forward convolution and both of its gradients, for the layer shapes of
// TrashNet and ResNet-18 on 32×32 CIFAR-10 images.
// JUANJI_GOCPU_PROFILE=3 splits each into its three convolutions.
func BenchmarkConvLayer(b *testing.B) {
	cases := []struct{ n, c, hw, o, k, s, p int }{
		{100, 64, 16, 64, 3, 1, 1}, {100, 32, 32, 64, 3, 2, 1}, {100, 3, 32, 32, 3, 1, 1},
		{128, 64, 8, 64, 3, 1, 1}, {128, 128, 4, 128, 3, 1, 1}, {128, 256, 2, 256, 3, 1, 1}, {128, 512, 1, 512, 3, 1, 1},
	}
	fast, _ := newEngines(b)
	for _, c := range cases {
		b.Run(fmt.Sprintf("n%d_%dx%dx%d_to_%d_k%d_s%d", c.n, c.c, c.hw, c.hw, c.o, c.k, c.s), func(b *testing.B) {
			oh := (c.hw+2*c.p-c.k)/c.s + 1
			x := randomTensor(dtypes.Float32, 1, c.n, c.c, c.hw, c.hw)
			k := randomTensor(dtypes.Float32, 2, c.o, c.c, c.k, c.k)
			r := randomTensor(dtypes.Float32, 3, c.n, c.o, oh, oh)
			exec := graph.MustNewExec(fast, func(x, k, r *graph.Node) []*graph.Node {
				axes := backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
					KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
					OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3}}
				y := graph.ConvGeneral(x, k, axes, []int{c.s, c.s}, [][2]int{{c.p, c.p}, {c.p, c.p}}, nil, nil, 1, 1)
				g := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), x, k)
				return []*graph.Node{graph.ReduceAllSum(y), g[0], g[1]}
			})
			exec.MustExec(x, k, r)
			b.ResetTimer()
			for range b.N {
				exec.MustExec(x, k, r)
			}
			flops := 3 * 2 * float64(c.n*c.o*oh*oh*c.c*c.k*c.k)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
