package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// idxBytes builds an uncompressed IDX file of unsigned bytes.
func idxBytes(magic uint32, dims []int, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(raw []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	return b.Bytes()
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// fakeIDX is a small MNIST-like split: n images of 28×28 where image i is
// filled with byte i, and label i%10.
type fakeIDX struct {
	n              int
	images, labels []byte // gzip files
	pix, lbl       []byte // their content
}

func newFakeIDX(n int) *fakeIDX {
	f := &fakeIDX{n: n, pix: make([]byte, n*28*28), lbl: make([]byte, n)}
	for i := range n {
		for j := range 28 * 28 {
			f.pix[i*784+j] = byte(i + j%7)
		}
		f.lbl[i] = byte(i % 10)
	}
	f.images = gzipBytes(idxBytes(idxMagicImages, []int{n, 28, 28}, f.pix))
	f.labels = gzipBytes(idxBytes(idxMagicLabels, []int{n}, f.lbl))
	return f
}

// sums pins the fake files' md5s in place of the real ones, for split
// (0 train, 1 test) of s.
func (f *fakeIDX) sums(s *idxDataset, split int) map[string]string {
	return map[string]string{s.images[split].name: md5Hex(f.images), s.labels[split].name: md5Hex(f.labels)}
}

// write stores the fake files as dir/<names of split>.
func (f *fakeIDX) write(t testing.TB, dir string, s *idxDataset, split int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, s.images[split].name), f.images)
	writeFile(t, filepath.Join(dir, s.labels[split].name), f.labels)
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cifarRecords makes n random CIFAR-10 records (label byte + 3072 bytes).
func cifarRecords(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n*cifarRecordBytes)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	for i := range n {
		b[i*cifarRecordBytes] = byte(rng.IntN(10))
	}
	return b
}

// fakeCIFAR holds generated batch files by name.
type fakeCIFAR map[string][]byte

func newFakeCIFAR(perBatch int) fakeCIFAR {
	f := fakeCIFAR{}
	for i, name := range append(cifarBatchNames(true), cifarBatchNames(false)...) {
		f[name] = cifarRecords(perBatch, uint64(i+1))
	}
	return f
}

// tarGz packs the batches as cifar-10-binary.tar.gz does.
func (f fakeCIFAR) tarGz() []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: cifarFolder + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	meta := []byte("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n")
	tw.WriteHeader(&tar.Header{Name: cifarFolder + "/batches.meta.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(meta))})
	tw.Write(meta)
	for _, name := range append(cifarBatchNames(false), cifarBatchNames(true)...) {
		if _, ok := f[name]; !ok {
			continue
		}
		tw.WriteHeader(&tar.Header{Name: cifarFolder + "/" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f[name]))})
		tw.Write(f[name])
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

// expect returns the images and labels a split should decode to.
func (f fakeCIFAR) expect(train bool) (images, labels []byte) {
	for _, name := range cifarBatchNames(train) {
		b := f[name]
		for i := 0; i < len(b); i += cifarRecordBytes {
			labels = append(labels, b[i])
			images = append(images, b[i+1:i+cifarRecordBytes]...)
		}
	}
	return images, labels
}
