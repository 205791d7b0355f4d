package models

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/juanji/juanji/pkg/data"
	"github.com/juanji/juanji/pkg/nn"
	"github.com/juanji/juanji/pkg/train"
)

func benchTrainStep(b *testing.B, model nn.Layer, batch, c, hw int) {
	benchTrainStepShards(b, model, batch, c, hw, 0)
}

// benchTrainStepShards is benchTrainStep with Trainer.Shards set (0: automatic).
func benchTrainStepShards(b *testing.B, model nn.Layer, batch, c, hw, shards int) {
	backend, err := backends.NewWithConfig("go:parallelism=-1")
	if err != nil {
		b.Fatal(err)
	}
	t := train.NewTrainer(backend, model, train.SGD{LR: 0.1}, 1)
	t.Shards = shards
	x, y := data.RandomBatch(batch, c, hw, hw, 10, 1)
	if _, _, err := t.Step(x, y); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := t.Step(x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkLeNetTrainStep(b *testing.B) { benchTrainStep(b, LeNet(), 100, 1, 28) }

func BenchmarkTrashNetTrainStep(b *testing.B) { benchTrainStep(b, TrashNet(), 100, 3, 32) }

func BenchmarkResNet18TrainStep(b *testing.B) { benchTrainStep(b, ResNet18(3), 128, 3, 32) }

// BenchmarkLeNetTrainStepShards measures what cutting each batch into per-core shards
// (Trainer.Shards) buys on the pure-Go backend.
func BenchmarkLeNetTrainStepShards(b *testing.B) {
	for _, shards := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			benchTrainStepShards(b, LeNet(), 100, 1, 28, shards)
		})
	}
}
