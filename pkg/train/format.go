package train

import (
	"fmt"
	"math"
)

// FormatEpoch is the per-epoch line Fit prints; device names where it ran ("cpu", "cuda:0").
func FormatEpoch(s EpochStats, epochs int, device string) string {
	line := fmt.Sprintf("epoch %d/%d: loss %.4f train data accuracy %.4f", s.Epoch, epochs, s.Loss, s.TrainAcc)
	if !math.IsNaN(s.TestAcc) {
		line += fmt.Sprintf(" test data accuracy %.4f", s.TestAcc)
	}
	line += fmt.Sprintf(" | %.1f s, %.1f examples/sec", s.Seconds, s.ImagesPerSec)
	if device != "" {
		line += " on " + device
	}
	return line
}
