package nn

import (
	"fmt"
	"os"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
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
	tests := implCases
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, k := randTensor(3, tc.xDims...), randTensor(4, tc.kDims...)
			hasKernel := len(tc.kDims) > 1 // pooling cases take no kernel
			grads := func(impl string) [][]float64 {
				ctx := ctxWithImpl(impl)
				out := graph.MustExecOnceN(backend, func(x, k *graph.Node) []*graph.Node {
					y := tc.op(ctx, x, k)
					w := graph.Sin(graph.Iota(x.Graph(), y.Shape(), 0))
					loss := graph.ReduceAllSum(graph.Mul(y, w))
					if hasKernel {
						return graph.Gradient(loss, x, k)
					}
					return graph.Gradient(loss, x)
				}, x, k)
				values := make([][]float64, len(out))
				for i, o := range out {
					values[i] = flat(o)
				}
				return values
			}
			native, portable := grads("native"), grads("portable")
			for i := range native {
				name := []string{"dL/dx", "dL/dkernel"}[i]
				assertClose(t, fmt.Sprintf("%s %s", tc.name, name), portable[i], native[i], 1e-9)
			}
		})
	}
}
