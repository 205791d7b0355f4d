package train

import (
	"fmt"
	"math"

	"github.com/juanji/juanji/pkg/tensorboard"
)

// writeScalars records one epoch in TensorBoard (nothing when w is nil).
func writeScalars(w *tensorboard.Writer, s EpochStats) error {
	if w == nil {
		return nil
	}
	scalars := []struct {
		tag   string
		value float64
	}{{"train/loss", s.Loss}, {"train/accuracy", s.TrainAcc}, {"test/loss", s.TestLoss}, {"test/accuracy", s.TestAcc}, {"train/images_per_sec", s.ImagesPerSec}}
	for _, sc := range scalars {
		if math.IsNaN(sc.value) {
			continue
		}
		if err := w.AddScalar(sc.tag, sc.value, int64(s.Epoch)); err != nil {
			return fmt.Errorf("train: writing TensorBoard scalars: %w", err)
		}
	}
	return w.Flush()
}
