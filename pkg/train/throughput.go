package train

import (
	"fmt"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Throughput measures how many images per second t trains on: one step on
// the batch first (it compiles the step), then steps more, timed. The
// steps update the model: measure on a trainer made for it.
func (t *Trainer) Throughput(images, labels *tensors.Tensor, steps int) (float64, error) {
	if steps < 1 {
		return 0, fmt.Errorf("train: throughput over %d steps: want at least one", steps)
	}
	if _, _, err := t.Step(images, labels); err != nil {
		return 0, err
	}
	start := time.Now()
	for range steps {
		if _, _, err := t.Step(images, labels); err != nil {
			return 0, err
		}
	}
	return float64(steps*images.Shape().Dimensions[0]) / time.Since(start).Seconds(), nil
}

// EpochTime is how long an epoch of n images takes at imagesPerSec.
func EpochTime(n int, imagesPerSec float64) time.Duration {
	if imagesPerSec <= 0 {
		return 0
	}
	return time.Duration(float64(n) / imagesPerSec * float64(time.Second)).Round(time.Second)
}
