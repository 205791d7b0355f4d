package nn

import (
	"fmt"
	"os"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/juanji/juanji/pkg/device"
)

// xlaBackend returns an XLA backend (GPU if present, else CPU), or skips saying why.
func xlaBackend(t *testing.T) backends.Backend {
	t.Helper()
	for _, kind := range []string{device.KindCUDA, device.KindCPU} {
		old, had := os.LookupEnv(device.EnvDevice)
		_ = os.Setenv(device.EnvDevice, kind)
		d, err := device.Select(0)
		if had {
			_ = os.Setenv(device.EnvDevice, old)
		} else {
			_ = os.Unsetenv(device.EnvDevice)
		}
		if err == nil && d.BackendName == "xla" {
			return d.Backend
		}
	}
	t.Skip("no XLA backend here (no PJRT plugin installed): native-vs-portable gradients are checked where one is (bench/gpu-check.sh runs this test on a GPU)")
	return nil
}

// TestNativeMatchesPortableGradientsOnXLA: on XLA both implementations can be differentiated,
// and their gradients must agree.
func TestNativeMatchesPortableGradientsOnXLA(t *testing.T) {
	backend := xlaBackend(t)
	tests := []struct {
		name         string
		op           func(ctx *context.Context, x, k *graph.Node) *graph.Node
		xDims, kDims []int
	}{
		{"conv 5x5 pad 2", func(ctx *context.Context, x, k *graph.Node) *graph.Node { return Conv2D(ctx, x, k, 1, 2) }, []int{2, 1, 8, 8}, []int{3, 1, 5, 5}},
		{"conv 3x3 stride 2 pad 1", func(ctx *context.Context, x, k *graph.Node) *graph.Node { return Conv2D(ctx, x, k, 2, 1) }, []int{2, 3, 7, 7}, []int{4, 3, 3, 3}},
		{"conv 1x1 stride 2", func(ctx *context.Context, x, k *graph.Node) *graph.Node { return Conv2D(ctx, x, k, 2, 0) }, []int{2, 3, 6, 6}, []int{4, 3, 1, 1}},
		{"avgpool 2", func(ctx *context.Context, x, k *graph.Node) *graph.Node {
			return graph.Mul(AvgPool2D(ctx, x, 2, 2, 0), graph.ReduceAllSum(k))
		}, []int{2, 3, 8, 8}, []int{2}},
		{"maxpool 3 stride 1 pad 1", func(ctx *context.Context, x, k *graph.Node) *graph.Node {
			return graph.Mul(MaxPool2D(ctx, x, 3, 1, 1), graph.ReduceAllSum(k))
		}, []int{2, 3, 6, 6}, []int{2}},
		{"maxpool 3 stride 2", func(ctx *context.Context, x, k *graph.Node) *graph.Node {
			return graph.Mul(MaxPool2D(ctx, x, 3, 2, 0), graph.ReduceAllSum(k))
		}, []int{2, 3, 9, 9}, []int{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, k := randTensor(3, tc.xDims...), randTensor(4, tc.kDims...)
			grads := func(impl string) [][]float64 {
				ctx := ctxWithImpl(impl)
				out := graph.MustExecOnceN(backend, func(x, k *graph.Node) []*graph.Node {
					y := tc.op(ctx, x, k)
					w := graph.Sin(graph.Iota(x.Graph(), y.Shape(), 0))
					return graph.Gradient(graph.ReduceAllSum(graph.Mul(y, w)), x, k)
				}, x, k)
				return [][]float64{flat(out[0]), flat(out[1])}
			}
			native, portable := grads("native"), grads("portable")
			for i, name := range []string{"dL/dx", "dL/dkernel"} {
				assertClose(t, fmt.Sprintf("%s %s", tc.name, name), portable[i], native[i], 1e-9)
			}
		})
	}
}
