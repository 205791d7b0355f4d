// Command juanji-bench trains the document's networks for a fixed number of steps on
// synthetic data of the right shapes and prints one line per model:
//
//	bench framework=gomlx model=lenet device=cpu backend=go batch=100 steps=200 warmup=10 images_per_s=950.1 peak_mem_mib=210.3
//
// bench/pytorch_bench.py prints the same line for the document's PyTorch code, so one run of
// each on the same machine gives the Go/PyTorch ratio (bench/ratio.py). The data stays the
// same tensor for every step, so input feeding is not measured.
//
//	go run ./cmd/juanji-bench -models lenet,trashnet,resnet18 -steps 50
//
// The device is chosen as the notebooks choose it (pkg/device): JUANJI_DEVICE or -device
// forces go, cpu (XLA CPU) or cuda.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/juanji/juanji/pkg/data"
	"github.com/juanji/juanji/pkg/device"
	"github.com/juanji/juanji/pkg/models"
	"github.com/juanji/juanji/pkg/nn"
	"github.com/juanji/juanji/pkg/train"
)

type benchModel struct {
	name         string
	build        func() nn.Layer
	batch, c, hw int
	lr           float64
}

var all = []benchModel{
	{"lenet", func() nn.Layer { return models.LeNet() }, 100, 1, 28, 0.5},
	{"trashnet", func() nn.Layer { return models.TrashNet() }, 100, 3, 32, 0.9},
	{"resnet18", func() nn.Layer { return models.ResNet18(3) }, 128, 3, 32, 0.05},
}

func main() {
	dev := flag.String("device", "", "force the device: gocpu (juanji's engine), go (GoMLX pure Go), cpu (XLA CPU) or cuda; default: the best present (as JUANJI_DEVICE)")
	steps := flag.Int("steps", 50, "timed training steps per model")
	warmup := flag.Int("warmup", 5, "untimed steps first (the first one compiles)")
	names := flag.String("models", "lenet,trashnet,resnet18", "comma-separated: lenet, trashnet, resnet18")
	flag.Parse()
	if *dev != "" {
		_ = os.Setenv("JUANJI_DEVICE", *dev)
	}
	d, err := device.Select(0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "juanji-bench:", err)
		os.Exit(1)
	}
	fmt.Printf("# juanji-bench device=%s backend=%s engine=%q go=%s cpus=%d\n", d.Name, d.BackendName, d.Summary(), runtime.Version(), runtime.NumCPU())
	failed := false
	for _, name := range strings.Split(*names, ",") {
		m, ok := find(strings.TrimSpace(name))
		if !ok {
			fmt.Fprintf(os.Stderr, "juanji-bench: unknown model %q\n", name)
			failed = true
			continue
		}
		if err := run(d, m, *steps, *warmup); err != nil {
			fmt.Fprintf(os.Stderr, "juanji-bench: %s: %v\n", m.name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func find(name string) (benchModel, bool) {
	for _, m := range all {
		if m.name == name {
			return m, true
		}
	}
	return benchModel{}, false
}

func run(d device.Device, m benchModel, steps, warmup int) error {
	trainer := train.NewTrainer(d.Backend, m.build(), train.SGD{LR: m.lr}, 1)
	x, y := data.RandomBatch(m.batch, m.c, m.hw, m.hw, 10, 1)
	for range max(warmup, 1) {
		if _, _, err := trainer.Step(x, y); err != nil {
			return err
		}
	}
	start := time.Now()
	for range steps {
		if _, _, err := trainer.Step(x, y); err != nil {
			return err
		}
	}
	elapsed := time.Since(start).Seconds()
	// sync=step: Trainer.Step copies the loss and the correct count to the host every step,
	// which waits for the step to finish; bench/pytorch_bench.py --sync step does the same.
	fmt.Printf("bench framework=gomlx model=%s device=%s backend=%s batch=%d steps=%d warmup=%d images_per_s=%.1f peak_mem_mib=%.1f mem=rss sync=step params=%d\n",
		m.name, d.Name, d.BackendName, m.batch, steps, warmup, float64(m.batch*steps)/elapsed, peakRSSMiB(), nn.NumParams(m.build()))
	return nil
}

// peakRSSMiB is the process's peak resident memory: host memory, which on the pure-Go and XLA
// CPU backends holds the model and activations too. GPU memory is reported by the GPU script.
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
