package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// The CIFAR-10 binary version: six batch files of 10,000 records, each a
// label byte then 3072 pixel bytes (the red 32×32 plane, then green, then
// blue, rows top to bottom), inside cifar-10-batches-bin/ of the archive.
const (
	cifarImageBytes  = 3 * 32 * 32
	cifarRecordBytes = 1 + cifarImageBytes
	cifarFolder      = "cifar-10-batches-bin"
	// maxCIFARBatch bounds a batch file's size (a real one has 30,730,000 bytes).
	maxCIFARBatch = 1 << 26
)

// cifarArchive is the binary CIFAR-10 archive at its official host, with
// its published md5.
var cifarArchive = remoteFile{name: "cifar-10-binary.tar.gz", md5: "c32a1d4ab5d03f1284b67883e8d87530"}

var cifarMirrors = []string{"https://www.cs.toronto.edu/~kriz/"}

// cifarBatchNames lists the batch files of a split, in order.
func cifarBatchNames(train bool) []string {
	if train {
		return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	}
	return []string{"test_batch.bin"}
}

// CIFAR10 loads CIFAR-10, 32×32 colour images in 10 classes
// (CIFAR10Classes): 50,000 for training if train is true, else 10,000 for
// test. It reads the binary version: root/cifar-10-binary.tar.gz if present
// and intact (md5 checked), else an extracted root/cifar-10-batches-bin/
// folder (format checked only: there are no published checksums for the
// extracted files), else it downloads the archive from
// https://www.cs.toronto.edu/~kriz/ into root (about 170 MB). The archive
// is read as it is, never extracted.
//
// Where there is no network, SyntheticCIFAR10 makes data of the same shape.
func CIFAR10(root string, train bool, opts ...Option) (*Dataset, error) {
	cfg := newConfig(opts)
	fe := &fetcher{cfg: cfg, dataset: "CIFAR10", mirrors: cifarMirrors}
	names := cifarBatchNames(train)

	var tried []string
	got := fe.fromDisk(root, cifarArchive, &tried)
	var images, labels []byte
	if got == nil {
		// An extracted folder, as `tar xzf cifar-10-binary.tar.gz` leaves it.
		dir := filepath.Join(root, cifarFolder)
		var err error
		images, labels, err = readCIFARDir(dir, names, cfg)
		if err == nil {
			return cifarDataset(train, images, labels, dir+" (extracted files: format checked, no published checksum)", cfg), nil
		}
		note(&tried, dir, err)
		if got, err = fe.fromNetwork(root, cifarArchive, &tried); err != nil {
			return nil, fmt.Errorf("%w\n(without network, SyntheticCIFAR10 makes stand-in data of the same format)", err)
		}
	}
	images, labels, err := readCIFARTarGz(got.data, names)
	if err != nil {
		return nil, fmt.Errorf("data: CIFAR10 %s: %w", got.path, err)
	}
	return cifarDataset(train, images, labels, got.origin, cfg), nil
}

func cifarDataset(train bool, images, labels []byte, source string, cfg *config) *Dataset {
	return &Dataset{
		Name:      "CIFAR10",
		Train:     train,
		Images:    images,
		Labels:    labels,
		N:         len(labels),
		C:         3,
		H:         32,
		W:         32,
		Classes:   append([]string(nil), CIFAR10Classes...),
		Source:    source,
		Transform: cfg.transform,
	}
}

// parseCIFARBatch decodes one batch file of the binary version into images
// (3072 bytes each, channels first) and labels.
func parseCIFARBatch(b []byte) (images, labels []byte, err error) {
	if len(b) == 0 {
		return nil, nil, errors.New("empty: no records")
	}
	if rest := len(b) % cifarRecordBytes; rest != 0 {
		return nil, nil, fmt.Errorf("truncated record: %d bytes is not a whole number of %d-byte records "+
			"(image %d has only %d bytes)", len(b), cifarRecordBytes, len(b)/cifarRecordBytes, rest)
	}
	n := len(b) / cifarRecordBytes
	images = make([]byte, n*cifarImageBytes)
	labels = make([]byte, n)
	for i := range n {
		rec := b[i*cifarRecordBytes : (i+1)*cifarRecordBytes]
		if rec[0] >= 10 {
			return nil, nil, fmt.Errorf("label %d of image %d is out of range 0..9", rec[0], i)
		}
		labels[i] = rec[0]
		copy(images[i*cifarImageBytes:], rec[1:])
	}
	return images, labels, nil
}

// joinBatches concatenates the batches named in names, in that order.
func joinBatches(names []string, batches map[string][2][]byte) (images, labels []byte) {
	n := 0
	for _, name := range names {
		n += len(batches[name][1])
	}
	images = make([]byte, 0, n*cifarImageBytes)
	labels = make([]byte, 0, n)
	for _, name := range names {
		images = append(images, batches[name][0]...)
		labels = append(labels, batches[name][1]...)
	}
	return images, labels
}

// readCIFARTarGz reads the named batch files from cifar-10-batches-bin/
// inside a cifar-10-binary.tar.gz archive held in memory.
func readCIFARTarGz(gz []byte, names []string) (images, labels []byte, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, nil, fmt.Errorf("not a gzip file: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	batches := make(map[string][2][]byte)
	for len(batches) < len(names) {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("corrupt archive: %w", err)
		}
		name := path.Base(hdr.Name)
		if path.Base(path.Dir(hdr.Name)) != cifarFolder || !contains(names, name) || hdr.Typeflag != tar.TypeReg {
			continue
		}
		if _, dup := batches[name]; dup {
			return nil, nil, fmt.Errorf("%s: appears twice in the archive", hdr.Name)
		}
		if hdr.Size > maxCIFARBatch {
			return nil, nil, fmt.Errorf("%s: %d bytes, larger than a CIFAR-10 batch can be", hdr.Name, hdr.Size)
		}
		b, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if errors.Is(err, io.ErrUnexpectedEOF) || err == nil && int64(len(b)) != hdr.Size {
			return nil, nil, fmt.Errorf("%s: archive truncated: %d of %d bytes", hdr.Name, len(b), hdr.Size)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: corrupt archive after %d of %d bytes: %w", hdr.Name, len(b), hdr.Size, err)
		}
		img, lbl, err := parseCIFARBatch(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", hdr.Name, err)
		}
		batches[name] = [2][]byte{img, lbl}
	}
	for _, name := range names {
		if _, ok := batches[name]; !ok {
			return nil, nil, fmt.Errorf("the archive has no %s/%s", cifarFolder, name)
		}
	}
	// Read to the end, so that gzip checks its CRC.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, nil, fmt.Errorf("corrupt archive: %w", err)
	}
	images, labels = joinBatches(names, batches)
	return images, labels, nil
}

// readCIFARDir reads the named batch files from an extracted
// cifar-10-batches-bin folder. There are no published checksums for them
// (only for the archive), so they are checked for format only, unless a
// test pinned checksums for them.
func readCIFARDir(dir string, names []string, cfg *config) (images, labels []byte, err error) {
	batches := make(map[string][2][]byte)
	for _, name := range names {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s: not found", name)
		}
		if err != nil {
			return nil, nil, err
		}
		if md5, ok := cfg.checksums[name]; ok {
			if err := verify(b, remoteFile{name: name, md5: md5}, cfg); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		img, lbl, err := parseCIFARBatch(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		batches[name] = [2][]byte{img, lbl}
	}
	images, labels = joinBatches(names, batches)
	return images, labels, nil
}
