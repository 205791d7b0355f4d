package show

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// GridAndLabels builds what ShowImages shows: the grid of the first
// rows*cols images, cols per row, and the matrix of their labels
// (empty if labels is nil).
//
// labels may be a *tensors.Tensor of integers, []int, []int32, []int64,
// or []string (names). Integer labels are printed as a PyTorch tensor
// (see LabelMatrix), or as class names with the Classes option (see
// NameMatrix). Extra images and labels beyond rows*cols are ignored, so
// there is no need to slice a batch first.
func GridAndLabels(images *tensors.Tensor, rows, cols int, labels any, opts ...Option) (*image.RGBA, string, error) {
	if rows <= 0 || cols <= 0 {
		return nil, "", fmt.Errorf("show.GridAndLabels: rows and cols must be positive, got %d×%d", rows, cols)
	}
	b, err := batchOf(images)
	if err != nil {
		return nil, "", fmt.Errorf("show.GridAndLabels: %w", err)
	}
	if b.n < rows*cols {
		return nil, "", fmt.Errorf("show.GridAndLabels: %d images, but %d×%d needs %d", b.n, rows, cols, rows*cols)
	}
	cfg := newConfig(opts)
	img, err := drawGrid(b.first(rows*cols), cols, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("show.GridAndLabels: %w", err)
	}
	if labels == nil {
		return img, "", nil
	}
	text, err := labelMatrix(labels, rows, cols, cfg.classes)
	if err != nil {
		return nil, "", fmt.Errorf("show.GridAndLabels: %w", err)
	}
	return img, text, nil
}

// ShowImages is the document's show_images(images, rows, colums, labels):
// it shows the grid of the first rows*cols images (inline in GoNB, as a
// file elsewhere, see FiguresDir) and then prints
//
//	labels:
//	 tensor([[1, 1, ...
//
// exactly as Python's print("labels: \n", labels.reshape((rows, colums)))
// does. Pass nil labels to show only the images. For CIFAR-10 class
// names, add the option Classes(classes); for normalized images,
// Denormalize(mean, std). See GridAndLabels for the accepted labels.
//
// ShowImages returns nothing, like show_images: if something is wrong
// (shapes, too few images or labels) it prints the error to standard
// error. Use GridAndLabels to get the error instead.
func ShowImages(images *tensors.Tensor, rows, cols int, labels any, opts ...Option) {
	if err := showImages(images, rows, cols, labels, opts); err != nil {
		fmt.Fprintln(os.Stderr, "show.ShowImages:", err)
	}
}

func showImages(images *tensors.Tensor, rows, cols int, labels any, opts []Option) error {
	img, text, err := GridAndLabels(images, rows, cols, labels, opts...)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encoding the grid as PNG: %w", err)
	}
	if err := presentAndReport(picture{name: nextName("images"), png: buf.Bytes()}); err != nil {
		return err
	}
	if labels != nil {
		// Go's Println, like Python's print, puts a space between its
		// arguments: hence the space that starts the matrix's first line.
		fmt.Println("labels: \n", text)
	}
	return nil
}

// Image shows any picture: inline as a PNG inside a GoNB notebook (waiting
// until the notebook has it, so nothing is lost when the cell ends), or
// written into FiguresDir outside one, printing the file's path.
func Image(img image.Image) error {
	if img == nil || img.Bounds().Empty() {
		return fmt.Errorf("show.Image: empty picture")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("show.Image: encoding as PNG: %w", err)
	}
	if err := presentAndReport(picture{name: nextName("image"), png: buf.Bytes()}); err != nil {
		return fmt.Errorf("show.Image: %w", err)
	}
	return nil
}
