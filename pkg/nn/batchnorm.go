package nn

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"
	"github.com/juanji/juanji/pkg/nn/functional"
)

// BatchNormLayer normalizes each channel (feature) over the batch, as in the document:
//
//	μ_B  = 1/|B| Σ x_i
//	σ²_B = 1/|B| Σ (x_i − μ_B)²
//	y    = γ (x − μ_B) / √(σ²_B + ε) + β
//
// γ (weight) and β (bias) are learned. During training it also keeps moving averages of μ
// and σ² (running_mean, running_var), which replace the batch statistics in evaluation.
// Build it with BatchNorm2d (inputs N,C,H,W) or BatchNorm1d (inputs N,C).
type BatchNormLayer struct {
	Features int
	Eps      float64
	Momentum float64 // weight of the new batch in the moving averages (PyTorch's momentum=0.1)
	rank     int
	library  bool
}

// BatchNorm2d is nn.BatchNorm2d(num_features) for N,C,H,W inputs.
func BatchNorm2d(features int) *BatchNormLayer {
	return &BatchNormLayer{Features: features, Eps: 1e-5, Momentum: 0.1, rank: 4}
}

// BatchNorm1d is nn.BatchNorm1d(num_features) for N,C inputs (after Linear).
func BatchNorm1d(features int) *BatchNormLayer {
	return &BatchNormLayer{Features: features, Eps: 1e-5, Momentum: 0.1, rank: 2}
}

// Library switches the layer to GoMLX's own batch normalization (layers/batchnorm) instead
// of the formula above. GoMLX treats the batch statistics as constants when differentiating,
// so its gradient with respect to x differs from PyTorch's; outputs and the gradients of γ, β
// are the same (see batchnorm_test.go).
func (b *BatchNormLayer) Library() *BatchNormLayer { b.library = true; return b }

// NumParams implements Parameterized: γ and β.
func (b *BatchNormLayer) NumParams() int { return 2 * b.Features }

// String implements Layer.
func (b *BatchNormLayer) String() string {
	kind := "BatchNorm2d"
	if b.rank == 2 {
		kind = "BatchNorm1d"
	}
	return fmt.Sprintf("%s(%d, eps=%g, momentum=%g, affine=True, track_running_stats=True)", kind, b.Features, b.Eps, b.Momentum)
}

// Forward implements Layer.
func (b *BatchNormLayer) Forward(ctx *context.Context, x *graph.Node) *graph.Node {
	if x.Rank() != b.rank || x.Shape().Dimensions[1] != b.Features {
		want := "[N C]"
		if b.rank == 4 {
			want = "[N C H W]"
		}
		panic(fmt.Errorf("nn: %s at %s: expects input %s with C=%d, got %s", b, ctx.Scope(), want, b.Features, x.Shape()))
	}
	if b.library {
		// GoMLX's fused ops (BatchNormForTraining/Inference) exist on XLA only; elsewhere the
		// library computes the same normalization from basic ops.
		fused := x.Graph().Backend().Capabilities().Operations[backends.OpTypeBatchNormForTraining]
		return batchnorm.New(ctx, x, 1).Momentum(1 - b.Momentum).Epsilon(b.Eps).UseBackendInference(fused).Done()
	}
	return functional.BatchNorm(ctx, x, b.Eps, b.Momentum)
}
