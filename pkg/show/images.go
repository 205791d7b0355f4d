package show

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"strconv"
	"strings"

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
// does. For a model's predictions use ShowPredictions, which says they are
// predictions and marks the wrong ones. Pass nil labels to show only the images. For CIFAR-10 class
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
	if err := showGrid(img); err != nil {
		return err
	}
	if labels != nil {
		// Go's Println, like Python's print, puts a space between its
		// arguments: hence the space that starts the matrix's first line.
		fmt.Println("labels: \n", text)
	}
	return nil
}

// showGrid presents a grid as a PNG.
func showGrid(img *image.RGBA) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encoding the grid as PNG: %w", err)
	}
	return presentAndReport(picture{name: nextName("images"), png: buf.Bytes()})
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

// GridAndPredictions builds what ShowPredictions shows: the grid of the first rows*cols
// images with the wrong predictions framed in red, the matrix of predicted labels, and a
// line listing the wrong ones with their true labels. predicted and labels take the forms
// GridAndLabels accepts (integers, or names with the Classes option).
func GridAndPredictions(images *tensors.Tensor, rows, cols int, predicted, labels any, opts ...Option) (*image.RGBA, string, error) {
	fail := func(err error) (*image.RGBA, string, error) {
		return nil, "", fmt.Errorf("show.GridAndPredictions: %w", err)
	}
	if predicted == nil || labels == nil {
		return fail(fmt.Errorf("needs both the predicted and the true labels"))
	}
	k := rows * cols
	pInts, pNames, err := labelValues(predicted)
	if err != nil {
		return fail(fmt.Errorf("predicted: %w", err))
	}
	tInts, tNames, err := labelValues(labels)
	if err != nil {
		return fail(fmt.Errorf("labels: %w", err))
	}
	cfg := newConfig(opts)
	pText, tText := labelTexts(pInts, pNames, cfg.classes), labelTexts(tInts, tNames, cfg.classes)
	if len(pText) < k || len(tText) < k {
		return fail(fmt.Errorf("%d predicted and %d true labels, but %d×%d needs %d", len(pText), len(tText), rows, cols, k))
	}
	marked := make([]bool, k)
	var wrong []string
	for i := range k {
		if pText[i] != tText[i] {
			marked[i] = true
			wrong = append(wrong, fmt.Sprintf("row %d col %d: %s (true %s)", i/cols+1, i%cols+1, pText[i], tText[i]))
		}
	}
	img, matrix, err := GridAndLabels(images, rows, cols, predicted, append(opts, func(c *config) { c.marked = marked })...)
	if err != nil {
		return fail(err)
	}
	summary := fmt.Sprintf("wrong: %d of %d", len(wrong), k)
	if len(wrong) > 0 {
		// A few are worth reading; a list of ninety buries the cell.
		const listed = 8
		summary += ", framed in red: " + strings.Join(wrong[:min(len(wrong), listed)], "; ")
		if len(wrong) > listed {
			summary += fmt.Sprintf("; and %d more", len(wrong)-listed)
		}
	}
	return img, matrix + "\n" + summary, nil
}

// labelTexts turns labels into comparable texts: names as they are, integers as numbers
// or, with classes, as class names.
func labelTexts(ints []int, names, classes []string) []string {
	if names != nil {
		return names
	}
	out := make([]string, len(ints))
	for i, v := range ints {
		if classes != nil && v >= 0 && v < len(classes) {
			out[i] = classes[v]
		} else {
			out[i] = strconv.Itoa(v)
		}
	}
	return out
}

// ShowPredictions shows a model's predictions on a batch, as d2l does: the grid of the first
// rows*cols images with the wrong predictions framed in red, then
//
//	predictions:
//	 tensor([[7, 2, ...
//	wrong: 1 of 100, framed in red: row 3 col 5: 6 (true 5)
//
// predicted are the model's labels (the document's y_hat.max(axis=1)[1]), labels the true
// ones. Errors are printed to standard error; GridAndPredictions returns them instead.
func ShowPredictions(images *tensors.Tensor, rows, cols int, predicted, labels any, opts ...Option) {
	img, text, err := GridAndPredictions(images, rows, cols, predicted, labels, opts...)
	if err == nil {
		err = showGrid(img)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "show.ShowPredictions:", err)
		return
	}
	fmt.Println("predictions: \n", text)
}

// SideBySide draws gray pictures given as rows of values in [0, 1] (values outside are
// clipped) next to each other, each value a scale×scale square, one square of black
// between them: a picture and what a kernel made of it, say. Show it with Image.
func SideBySide(scale int, pictures ...[][]float64) image.Image {
	scale = max(scale, 1)
	w, h := 0, 0
	for _, m := range pictures {
		if len(m) > 0 {
			w += len(m[0])*scale + scale
		}
		h = max(h, len(m)*scale)
	}
	canvas := image.NewGray(image.Rect(0, 0, max(w-scale, 0), h))
	left := 0
	for _, m := range pictures {
		if len(m) == 0 {
			continue
		}
		for y := range m {
			for x, v := range m[y] {
				c := color.Gray{Y: toByte(float32(v))}
				for dy := range scale {
					for dx := range scale {
						canvas.SetGray(left+x*scale+dx, y*scale+dy, c)
					}
				}
			}
		}
		left += len(m[0])*scale + scale
	}
	return canvas
}
