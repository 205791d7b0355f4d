package train_test

import (
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/juanji/juanji/pkg/data"
	"github.com/juanji/juanji/pkg/nn"
	"github.com/juanji/juanji/pkg/train"
)

// toyDataset is n tiny 1×4×4 images: dark ones are class 0, bright ones class 1.
func toyDataset(n int) *data.Dataset {
	ds := &data.Dataset{Name: "toy", Train: true, N: n, C: 1, H: 4, W: 4, Classes: []string{"dark", "bright"}}
	for i := range n {
		label := uint8(i % 2)
		ds.Labels = append(ds.Labels, label)
		ds.Images = append(ds.Images, slices.Repeat([]uint8{uint8(40 + 160*int(label) + i%50)}, 16)...)
	}
	return ds
}

// The document's training loop, on toy data and GoMLX's pure-Go backend: Fit trains for
// the epochs asked, prints one line per epoch to Out (here discarded: its timings differ
// from run to run) and returns the history the document plots.
func ExampleTrainer_Fit() {
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	net := nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
	trainer := train.NewTrainer(backend, net, train.SGD{LR: 0.5}, 1)
	h, err := trainer.Fit(context.Background(), train.FitConfig{
		Epochs:    3,
		Train:     data.NewLoader(toyDataset(200), 20, true, data.WithSeed(1)),
		Test:      data.NewLoader(toyDataset(40), 20, false),
		EvalTrain: true, // measure the epoch's accuracy on the whole training set, after it
		Out:       io.Discard,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("epochs:", len(h.Epochs))
	fmt.Printf("train accuracy %.2f, test accuracy %.2f\n", h.Last().TrainAcc, h.Last().TestAcc)
	// Output:
	// epochs: 3
	// train accuracy 1.00, test accuracy 1.00
}

// The document's torch.save(net.state_dict(), f) and its load: Save writes the weights and
// the history atomically with a checksum; Load into a fresh trainer for the same model
// predicts exactly what the saved one did.
func ExampleTrainer_Save() {
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	model := func() nn.Layer { return nn.Sequential(nn.Flatten(), nn.Linear(16, 2)) }
	loader := data.NewLoader(toyDataset(40), 20, true, data.WithSeed(1))
	trainer := train.NewTrainer(backend, model(), train.SGD{LR: 0.5}, 1)
	h, err := trainer.Fit(context.Background(), train.FitConfig{Epochs: 1, Train: loader, Out: io.Discard})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "juanji-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "toy.ckpt")
	if err := trainer.Save(path, h); err != nil {
		fmt.Println(err)
		return
	}

	fresh := train.NewTrainer(backend, model(), train.SGD{}, 2) // other initial weights
	saved, err := fresh.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	images, _ := loader.First()
	before, _ := trainer.Predict(images)
	after, _ := fresh.Predict(images)
	fmt.Println("epochs in the saved history:", len(saved.Epochs))
	fmt.Println("same predictions:", slices.Equal(before, after))
	// Output:
	// epochs in the saved history: 1
	// same predictions: true
}

// noise is a source of batches of its own (not a *data.Loader): the same random batch,
// made anew on every pass, since Fit finalizes each batch once used.
type noise struct{ batches int }

func (n noise) Len() int { return n.batches }

func (n noise) All() iter.Seq2[*tensors.Tensor, *tensors.Tensor] {
	return func(yield func(*tensors.Tensor, *tensors.Tensor) bool) {
		for range n.batches {
			if !yield(data.RandomBatch(8, 1, 4, 4, 2, 1)) {
				return
			}
		}
	}
}

// Fit trains on any source of batches: anything with All and Len (train.Batches).
func ExampleBatches() {
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	trainer := train.NewTrainer(backend, nn.Sequential(nn.Flatten(), nn.Linear(16, 2)), train.SGD{LR: 0.1}, 1)
	var test *data.Loader // none: a nil loader is no test set
	h, err := trainer.Fit(context.Background(), train.FitConfig{Epochs: 2, Train: noise{batches: 3}, Test: test, Out: io.Discard})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("epochs:", len(h.Epochs), "test accuracy:", h.Last().TestAcc)
	// Output:
	// epochs: 2 test accuracy: NaN
}
