package data

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Loader cuts a Dataset into batches of tensors, like torch's DataLoader:
// images as float32 [B, C, H, W] after the dataset's Transform, labels as
// int32 [B].
//
// Each pass over the data (All, or First) is a new epoch, reshuffled when
// shuffle is on. With WithSeed, the order and the random transforms repeat
// exactly from run to run, whatever the number of workers. The work of a
// batch is spread over the CPU cores, and the next batch is prepared while
// the caller works on the current one. Every batch is a new pair of tensors
// that the loader never touches again, so a batch may be kept.
type Loader struct {
	ds        *Dataset
	batchSize int
	shuffle   bool
	dropLast  bool
	seed      uint64
	workers   int

	steps  []Transform // the transform, Compose flattened
	scaled bool        // steps began with ToTensor, done while converting bytes

	mu    sync.Mutex
	epoch uint64 // epochs started so far
}

// LoaderOption changes a Loader made by NewLoader.
type LoaderOption func(*Loader)

// WithSeed makes the loader repeat exactly: the same seed gives the same
// shuffles and the same random transforms, epoch after epoch. Without it
// the seed is random, as in PyTorch.
func WithSeed(seed int64) LoaderOption { return func(l *Loader) { l.seed = uint64(seed) } }

// DropLast drops the last batch of an epoch when it has fewer than
// batchSize images, like drop_last=True.
func DropLast() LoaderOption { return func(l *Loader) { l.dropLast = true } }

// WithWorkers sets how many goroutines prepare each batch (default: one per
// CPU core, runtime.GOMAXPROCS(0)). The results do not depend on it.
func WithWorkers(n int) LoaderOption { return func(l *Loader) { l.workers = max(1, n) } }

// NewLoader returns a loader over ds with batches of batchSize images,
// shuffled at each epoch if shuffle is true, like
// DataLoader(dataset, batch_size, shuffle). It applies ds.Transform to every
// image (ToTensor() if nil), read when NewLoader is called.
//
// NewLoader panics on programming errors: a nil or inconsistent dataset, a
// batchSize below 1, or a transform that does not fit the images (such as
// Normalize with three means on one-channel MNIST).
func NewLoader(ds *Dataset, batchSize int, shuffle bool, opts ...LoaderOption) *Loader {
	if ds == nil {
		panic("data.NewLoader: nil dataset")
	}
	if err := ds.check(); err != nil {
		panic(fmt.Sprintf("data.NewLoader: %v", err))
	}
	if batchSize < 1 {
		panic(fmt.Sprintf("data.NewLoader: batch size %d, want at least 1", batchSize))
	}
	t := ds.Transform
	if t == nil {
		t = ToTensor()
	}
	if err := checkTransform(t, ds.C); err != nil {
		panic(fmt.Sprintf("data.NewLoader: transform for %s: %v", ds.Name, err))
	}
	l := &Loader{
		ds:        ds,
		batchSize: batchSize,
		shuffle:   shuffle,
		seed:      rand.Uint64(),
		workers:   runtime.GOMAXPROCS(0),
		steps:     flatten(t),
	}
	for _, o := range opts {
		if o != nil {
			o(l)
		}
	}
	if _, ok := l.steps[0].(toTensor); ok {
		l.steps, l.scaled = l.steps[1:], true
	}
	return l
}

// Len returns the number of batches in an epoch, like len(loader).
func (l *Loader) Len() int {
	if l.dropLast {
		return l.ds.N / l.batchSize
	}
	return (l.ds.N + l.batchSize - 1) / l.batchSize
}

// BatchSize returns the number of images per batch (the last batch of an
// epoch may have fewer, unless DropLast was given).
func (l *Loader) BatchSize() int { return l.batchSize }

// Dataset returns the dataset the loader reads.
func (l *Loader) Dataset() *Dataset { return l.ds }

// All runs one epoch: it yields each batch's images, float32 [B, C, H, W],
// and labels, int32 [B]. Use it as
//
//	for images, labels := range loader.All() { ... }
//
// Each iteration is a new epoch with a new shuffle. Stopping early (break)
// is fine.
func (l *Loader) All() iter.Seq2[*tensors.Tensor, *tensors.Tensor] {
	return func(yield func(images, labels *tensors.Tensor) bool) {
		epoch := l.nextEpoch()
		batches := l.Len()
		if batches == 0 {
			return
		}
		order := l.order(epoch)
		type batch struct{ images, labels *tensors.Tensor }
		ready := make(chan batch, 1)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // prepares the next batches while the caller works
			defer wg.Done()
			defer close(ready)
			ws := l.newWorkers()
			for b := range batches {
				x, y := l.makeBatch(order, b, epoch, ws)
				select {
				case ready <- batch{x, y}:
				case <-stop:
					return
				}
			}
		}()
		defer func() {
			close(stop)
			wg.Wait()
		}()
		for b := range ready {
			if !yield(b.images, b.labels) {
				return
			}
		}
	}
}

// First starts a new epoch and returns its first batch, like the
// document's next(iter(loader)). It returns nil tensors if the loader has
// no batches.
func (l *Loader) First() (images, labels *tensors.Tensor) {
	epoch := l.nextEpoch()
	if l.Len() == 0 {
		return nil, nil
	}
	return l.makeBatch(l.order(epoch), 0, epoch, l.newWorkers())
}

func (l *Loader) nextEpoch() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.epoch
	l.epoch++
	return e
}

// mix is SplitMix64's finaliser: it spreads nearby numbers over all 64 bits.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// order returns the dataset indices in the order of an epoch.
func (l *Loader) order(epoch uint64) []int32 {
	order := make([]int32, l.ds.N)
	for i := range order {
		order[i] = int32(i)
	}
	if l.shuffle {
		rng := rand.New(rand.NewPCG(mix(l.seed), mix(epoch^0x5eed)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// worker is one goroutine's state: an image header and a random generator
// reseeded for each image, so no allocation happens per image.
type worker struct {
	pcg *rand.PCG
	rng *rand.Rand
	img Image
}

func (l *Loader) newWorkers() []*worker {
	ws := make([]*worker, l.workers)
	for i := range ws {
		pcg := rand.NewPCG(0, 0)
		ws[i] = &worker{pcg: pcg, rng: rand.New(pcg)}
	}
	return ws
}

// byteToUnit[v] is v/255 in float32, exactly what ToTensor computes.
var byteToUnit = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return
}()

// minPerWorker is the fewest images worth a goroutine of their own.
const minPerWorker = 8

// makeBatch builds batch b of an epoch, splitting its images among workers.
func (l *Loader) makeBatch(order []int32, b int, epoch uint64, ws []*worker) (images, labels *tensors.Tensor) {
	ds := l.ds
	start := b * l.batchSize
	n := min(l.batchSize, ds.N-start)
	images = tensors.FromShape(shapes.Make(dtypes.Float32, n, ds.C, ds.H, ds.W))
	labels = tensors.FromShape(shapes.Make(dtypes.Int32, n))
	tensors.MustMutableFlatData(images, func(pix []float32) {
		tensors.MustMutableFlatData(labels, func(lbl []int32) {
			parts := max(1, min(len(ws), n/minPerWorker))
			if parts == 1 {
				l.fill(ws[0], pix, lbl, order, start, 0, n, epoch)
				return
			}
			var wg sync.WaitGroup
			for p := range parts {
				lo, hi := p*n/parts, (p+1)*n/parts
				wg.Go(func() { l.fill(ws[p], pix, lbl, order, start, lo, hi, epoch) })
			}
			wg.Wait()
		})
	})
	return images, labels
}

// fill writes images lo..hi-1 of the batch starting at position start of
// the epoch into pix and lbl.
func (l *Loader) fill(w *worker, pix []float32, lbl []int32, order []int32, start, lo, hi int, epoch uint64) {
	ds := l.ds
	size := ds.C * ds.H * ds.W
	epochSeed := mix(l.seed ^ mix(epoch))
	for i := lo; i < hi; i++ {
		idx := int(order[start+i])
		src := ds.Images[idx*size : (idx+1)*size]
		dst := pix[i*size : (i+1)*size]
		if l.scaled {
			for j, v := range src {
				dst[j] = byteToUnit[v]
			}
		} else {
			for j, v := range src {
				dst[j] = float32(v)
			}
		}
		lbl[i] = int32(ds.Labels[idx])
		if len(l.steps) == 0 {
			continue
		}
		w.pcg.Seed(epochSeed, mix(uint64(start+i)))
		w.img = Image{Pix: dst, C: ds.C, H: ds.H, W: ds.W, IsTensor: l.scaled}
		for _, t := range l.steps {
			t.Apply(&w.img, w.rng)
		}
	}
}
