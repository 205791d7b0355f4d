package data

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// countingDataset has n 1×2×3 images; every pixel of image i is i%256 and
// its label is i%10.
func countingDataset(n int) *Dataset {
	ds := &Dataset{Name: "counting", N: n, C: 1, H: 2, W: 3, Images: make([]uint8, n*6), Labels: make([]uint8, n)}
	for i := range n {
		for j := range 6 {
			ds.Images[i*6+j] = uint8(i)
		}
		ds.Labels[i] = uint8(i % 10)
	}
	return ds
}

// batchIDs returns, for each image of a batch, which dataset image it is.
func batchIDs(t *testing.T, x, y *tensors.Tensor) []int {
	t.Helper()
	pix := tensors.MustCopyFlatData[float32](x)
	lbl := tensors.MustCopyFlatData[int32](y)
	size := x.Shape().Size() / x.Shape().Dimensions[0]
	ids := make([]int, len(lbl))
	for i := range ids {
		ids[i] = int(pix[i*size]*255 + 0.5)
		if int(lbl[i]) != ids[i]%10 {
			t.Fatalf("image %d has label %d", ids[i], lbl[i])
		}
	}
	return ids
}

// epochIDs runs one epoch and returns the batches' image ids.
func epochIDs(t *testing.T, l *Loader) [][]int {
	var all [][]int
	for x, y := range l.All() {
		all = append(all, batchIDs(t, x, y))
	}
	return all
}

func TestLoaderBatches(t *testing.T) {
	ds := countingDataset(250)
	for _, tc := range []struct {
		name     string
		opts     []LoaderOption
		sizes    []int
		firstIDs []int
	}{
		{"keep last", nil, []int{100, 100, 50}, []int{0, 1, 2}},
		{"drop last", []LoaderOption{DropLast()}, []int{100, 100}, []int{0, 1, 2}},
	} {
		l := NewLoader(ds, 100, false, tc.opts...)
		if l.Len() != len(tc.sizes) || l.BatchSize() != 100 || l.Dataset() != ds {
			t.Errorf("%s: Len()=%d", tc.name, l.Len())
		}
		var sizes []int
		next := 0
		for x, y := range l.All() {
			dims := x.Shape().Dimensions
			if !slices.Equal(dims[1:], []int{1, 2, 3}) || y.Shape().Dimensions[0] != dims[0] {
				t.Errorf("%s: shapes %v %v", tc.name, x.Shape(), y.Shape())
			}
			sizes = append(sizes, dims[0])
			for _, id := range batchIDs(t, x, y) {
				if id != next%256 {
					t.Fatalf("%s: got image %d, want %d in order", tc.name, id, next)
				}
				next++
			}
		}
		if !slices.Equal(sizes, tc.sizes) {
			t.Errorf("%s: batch sizes %v, want %v", tc.name, sizes, tc.sizes)
		}
	}
	// Values are ToTensor's: bytes / 255.
	x, _ := NewLoader(countingDataset(300), 300, false).First()
	if got := tensors.MustCopyFlatData[float32](x)[299*6]; got != float32(299%256)/255 {
		t.Errorf("pixel = %v", got)
	}
}

func TestLoaderShuffle(t *testing.T) {
	ds := countingDataset(256)
	l := NewLoader(ds, 32, true, WithSeed(7))
	e1, e2 := epochIDs(t, l), epochIDs(t, l)
	for _, e := range [][][]int{e1, e2} {
		ids := slices.Concat(e...)
		sorted := slices.Sorted(slices.Values(ids))
		for i, id := range sorted {
			if id != i {
				t.Fatalf("an epoch is not a permutation: %v", sorted)
			}
		}
		if slices.IsSorted(ids) {
			t.Error("not shuffled")
		}
	}
	if slices.Equal(slices.Concat(e1...), slices.Concat(e2...)) {
		t.Error("two epochs in the same order")
	}

	// Same seed: same epochs; another seed: other epochs.
	same := NewLoader(ds, 32, true, WithSeed(7), WithWorkers(1))
	if f1, f2 := epochIDs(t, same), epochIDs(t, same); !slices.Equal(slices.Concat(f1...), slices.Concat(e1...)) || !slices.Equal(slices.Concat(f2...), slices.Concat(e2...)) {
		t.Error("the same seed gave other epochs")
	}
	other := NewLoader(ds, 32, true, WithSeed(8))
	if slices.Equal(slices.Concat(epochIDs(t, other)...), slices.Concat(e1...)) {
		t.Error("another seed gave the same epoch")
	}

	// First is the first batch of an epoch, and starts a new epoch.
	fl := NewLoader(ds, 32, true, WithSeed(7))
	x, y := fl.First()
	if !slices.Equal(batchIDs(t, x, y), e1[0]) {
		t.Error("First differs from the first batch of the first epoch")
	}
	if got := epochIDs(t, fl); !slices.Equal(slices.Concat(got...), slices.Concat(e2...)) {
		t.Error("the epoch after First is not the second one")
	}
}

// TestLoaderRepeatable: with a seed, random transforms repeat exactly,
// whatever the number of workers.
func TestLoaderRepeatable(t *testing.T) {
	ds := SyntheticCIFAR10(300, 5, true)
	ds.Transform = Compose(RandomHorizontalFlip(), RandomGrayscale(), ToTensor(), Normalize([]float32{0.5, 0.5, 0.5}, []float32{0.5, 0.5, 0.5}))
	run := func(workers int) [][]float32 {
		var out [][]float32
		for x := range NewLoader(ds, 64, true, WithSeed(42), WithWorkers(workers)).All() {
			out = append(out, tensors.MustCopyFlatData[float32](x))
		}
		return out
	}
	a, b, c := run(1), run(2), run(5)
	for i := range a {
		if !slices.Equal(a[i], b[i]) || !slices.Equal(a[i], c[i]) {
			t.Fatalf("batch %d differs between worker counts", i)
		}
	}
	for _, v := range slices.Concat(a...) {
		if v < -1 || v > 1 {
			t.Fatalf("value %v outside [-1,1]", v)
		}
	}
}

// TestLoaderKeepsBatches: batches handed out are never overwritten.
func TestLoaderKeepsBatches(t *testing.T) {
	ds := countingDataset(500)
	l := NewLoader(ds, 50, true, WithSeed(1))
	var kept []*tensors.Tensor
	var copies [][]float32
	for x := range l.All() {
		kept = append(kept, x)
		copies = append(copies, tensors.MustCopyFlatData[float32](x))
	}
	for range l.All() {
	}
	l.First()
	for i, x := range kept {
		if !slices.Equal(tensors.MustCopyFlatData[float32](x), copies[i]) {
			t.Fatalf("batch %d was overwritten", i)
		}
	}
}

// TestLoaderBreak: stopping an epoch early stops the loader's goroutines.
func TestLoaderBreak(t *testing.T) {
	ds := countingDataset(10000)
	l := NewLoader(ds, 10, true)
	before := runtime.NumGoroutine()
	for range 20 {
		for range l.All() {
			break
		}
	}
	time.Sleep(10 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before+1 {
		t.Errorf("%d goroutines before, %d after", before, after)
	}
}

func TestLoaderSmall(t *testing.T) {
	l := NewLoader(countingDataset(5), 10, false, DropLast())
	if x, y := l.First(); x != nil || y != nil || l.Len() != 0 {
		t.Error("a loader without batches returned one")
	}
	for range l.All() {
		t.Error("a loader without batches yielded one")
	}
}

func TestLoaderPanics(t *testing.T) {
	mn := countingDataset(10)
	mn.Transform = Compose(ToTensor(), Normalize([]float32{0.5, 0.5, 0.5}, []float32{0.5, 0.5, 0.5}))
	bad := countingDataset(10)
	bad.Labels = bad.Labels[:5]
	nilStep := countingDataset(10)
	nilStep.Transform = Compose(ToTensor(), nil)
	for name, f := range map[string]func(){
		"nil dataset":           func() { NewLoader(nil, 10, true) },
		"batch 0":               func() { NewLoader(countingDataset(10), 0, true) },
		"3 means for 1 channel": func() { NewLoader(mn, 10, true) },
		"inconsistent dataset":  func() { NewLoader(bad, 10, true) },
		"nil step":              func() { NewLoader(nilStep, 10, true) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkLoaderMNIST: real MNIST, batches of 100, ToTensor.
func BenchmarkLoaderMNIST(b *testing.B) {
	ds, err := MNIST(b.TempDir(), true, WithMirrors(), WithProgress(nil))
	if err != nil {
		b.Fatal(err)
	}
	ds.Transform = ToTensor()
	benchLoader(b, ds)
}

// BenchmarkLoaderCIFAR10Augment: synthetic CIFAR-10, batches of 100, the
// document's flip + grayscale + ToTensor + Normalize.
func BenchmarkLoaderCIFAR10Augment(b *testing.B) {
	ds := SyntheticCIFAR10(10000, 1, true)
	ds.Transform = Compose(RandomHorizontalFlip(), RandomGrayscale(), ToTensor(), Normalize([]float32{0.5, 0.5, 0.5}, []float32{0.5, 0.5, 0.5}))
	benchLoader(b, ds)
}

func benchLoader(b *testing.B, ds *Dataset) {
	l := NewLoader(ds, 100, true, WithSeed(1))
	b.ReportAllocs()
	b.ResetTimer()
	images := 0
	for images < b.N*100 {
		for x := range l.All() {
			images += x.Shape().Dimensions[0]
			if images >= b.N*100 {
				break
			}
		}
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
}
