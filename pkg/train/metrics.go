package train

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Accuracy is the document's accuracy(y_hat, y) divided by len(y): the fraction of
// predictions equal to the labels. Both are label lists (use Trainer.Predict for logits).
func Accuracy(predicted, labels []int32) float64 {
	if len(labels) == 0 {
		return math.NaN()
	}
	hits := 0
	for i := range labels {
		if i < len(predicted) && predicted[i] == labels[i] {
			hits++
		}
	}
	return float64(hits) / float64(len(labels))
}

// Labels copies a labels tensor [B] (int32) into a slice.
func Labels(t *tensors.Tensor) []int32 {
	out := make([]int32, t.Shape().Size())
	tensors.MustConstFlatData(t, func(f []int32) { copy(out, f) })
	return out
}
