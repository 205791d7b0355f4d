package models

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/juanji/juanji/pkg/data"
	"github.com/juanji/juanji/pkg/device"
	"github.com/juanji/juanji/pkg/nn"
	"github.com/juanji/juanji/pkg/train"
)

// benchTrainStep measures a training step on the CPU engine device.Select
// picks when no XLA plugin is present (juanji's engine, unless JUANJI_DEVICE
// names another), reporting images/s.
func benchTrainStep(b *testing.B, model nn.Layer, batch, c, hw int) {
	d, err := device.Select(0)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("device: %s", d.Summary())
	benchTrainStepOn(b, d.Backend, model, batch, c, hw, 0)
}

// benchTrainStepShards is benchTrainStep on GoMLX's pure-Go backend with
// Trainer.Shards set (0: automatic): sharding is how that backend uses cores.
func benchTrainStepShards(b *testing.B, model nn.Layer, batch, c, hw, shards int) {
	backend, err := backends.NewWithConfig("go:parallelism=-1")
	if err != nil {
		b.Fatal(err)
	}
	benchTrainStepOn(b, backend, model, batch, c, hw, shards)
}

func benchTrainStepOn(b *testing.B, backend backends.Backend, model nn.Layer, batch, c, hw, shards int) {
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
