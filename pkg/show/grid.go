package show

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// config holds the settings changed by Options.
type config struct {
	padding  int       // pixels between images and around the grid
	padValue float32   // gray level of the padding, in [0,1]
	mean     []float32 // to undo Normalize(mean, std); nil: images are shown as they are
	std      []float32
	upscale  int      // 0: automatic
	classes  []string // names for integer labels (ShowImages only)
	marked   []bool   // images framed in markColor (ShowPredictions: the wrong ones)
}

// markColor frames the images ShowPredictions got wrong.
var markColor = color.RGBA{0xd6, 0x27, 0x28, 255}

func newConfig(opts []Option) config {
	cfg := config{padding: 2, padValue: 0}
	for _, opt := range opts {
		opt(&cfg)
	}
	return cfg
}

// Option changes how images are drawn (Grid, GridAndLabels, ShowImages)
// or labelled (GridAndLabels, ShowImages).
type Option func(*config)

// Padding sets the pixels between images and around the grid
// (torchvision's make_grid padding; default 2).
func Padding(pixels int) Option {
	return func(c *config) { c.padding = pixels }
}

// PadValue sets the gray level of the padding, from 0 (black, the default,
// as in torchvision) to 1 (white).
func PadValue(value float32) Option {
	return func(c *config) { c.padValue = value }
}

// Denormalize undoes Normalize(mean, std) before display: each pixel x is
// shown as x*std + mean. Give one value for all channels or one per RGB
// channel, e.g. Denormalize([]float32{0.5, 0.5, 0.5}, []float32{0.5, 0.5, 0.5})
// for the document's CIFAR-10 normalization.
func Denormalize(mean, std []float32) Option {
	return func(c *config) { c.mean, c.std = mean, std }
}

// Upscale enlarges the grid by an integer factor, repeating pixels (nearest
// neighbour), so that small images such as 32×32 CIFAR-10 are visible.
// The default (0) picks the smallest factor that makes the grid at least
// 300 pixels wide or high: 1 for a 10×10 MNIST grid, 5 for a 2×2 CIFAR grid.
func Upscale(factor int) Option {
	return func(c *config) { c.upscale = factor }
}

// Classes gives names to integer labels: label i is shown as classes[i],
// in numpy's string-array style, as the document's CIFAR-10 show_images does.
func Classes(classes []string) Option {
	return func(c *config) { c.classes = classes }
}

// autoUpscaleTarget is the size, in pixels, that the automatic upscale aims for.
const autoUpscaleTarget = 300

// batch is a batch of images in N,C,H,W order, as float32 values.
type batch struct {
	n, c, h, w int
	pixels     []float32
}

// batchOf checks that t holds images as [N,C,H,W] floats with C=1 or 3,
// and copies its values.
func batchOf(t *tensors.Tensor) (batch, error) {
	if t == nil {
		return batch{}, errors.New("images tensor is nil")
	}
	shape := t.Shape()
	if shape.Rank() != 4 {
		return batch{}, fmt.Errorf("images must have shape [N,C,H,W], got %s", shape)
	}
	dims := shape.Dimensions
	b := batch{n: dims[0], c: dims[1], h: dims[2], w: dims[3]}
	if b.c != 1 && b.c != 3 {
		return batch{}, fmt.Errorf("images must have 1 (gray) or 3 (RGB) channels, got shape %s", shape)
	}
	if b.n == 0 || b.h == 0 || b.w == 0 {
		return batch{}, fmt.Errorf("images tensor is empty: shape %s", shape)
	}
	var err error
	switch t.DType() {
	case dtypes.Float32:
		b.pixels, err = tensors.CopyFlatData[float32](t)
	case dtypes.Float64:
		var values []float64
		values, err = tensors.CopyFlatData[float64](t)
		b.pixels = make([]float32, len(values))
		for i, v := range values {
			b.pixels[i] = float32(v)
		}
	default:
		return batch{}, fmt.Errorf("images must be float32 (values in [0,1]), got %s", shape)
	}
	if err != nil {
		return batch{}, fmt.Errorf("reading images: %w", err)
	}
	return b, nil
}

// first returns the first k images of the batch.
func (b batch) first(k int) batch {
	b.pixels = b.pixels[:k*b.c*b.h*b.w]
	b.n = k
	return b
}

// Grid arranges images in a grid with cols images per row, like
// torchvision.utils.make_grid(images, nrow=cols): images is a float32
// tensor [N,C,H,W] with C=1 (gray, repeated into R, G and B) or C=3 (RGB),
// values are clipped to [0,1], and 2 pixels of padding with value 0 (black)
// surround every image. 100 MNIST images of 28×28 in 10 columns give a
// 302×302 grid, as in torchvision. Unlike make_grid, a single image is
// padded too.
//
// Options: Padding, PadValue, Denormalize, Upscale.
func Grid(images *tensors.Tensor, cols int, opts ...Option) (*image.RGBA, error) {
	b, err := batchOf(images)
	if err != nil {
		return nil, fmt.Errorf("show.Grid: %w", err)
	}
	img, err := drawGrid(b, cols, newConfig(opts))
	if err != nil {
		return nil, fmt.Errorf("show.Grid: %w", err)
	}
	return img, nil
}

// drawGrid is Grid once the tensor has been read.
func drawGrid(b batch, cols int, cfg config) (*image.RGBA, error) {
	if cols <= 0 {
		return nil, fmt.Errorf("cols must be positive, got %d", cols)
	}
	if cfg.padding < 0 {
		return nil, fmt.Errorf("padding must not be negative, got %d", cfg.padding)
	}
	if cfg.upscale < 0 {
		return nil, fmt.Errorf("upscale must not be negative, got %d", cfg.upscale)
	}
	if err := checkMeanStd(cfg.mean, cfg.std); err != nil {
		return nil, err
	}

	// The layout of torchvision's make_grid.
	pad := cfg.padding
	xmaps := min(cols, b.n)
	ymaps := (b.n + xmaps - 1) / xmaps
	cellW, cellH := b.w+pad, b.h+pad
	img := image.NewRGBA(image.Rect(0, 0, cellW*xmaps+pad, cellH*ymaps+pad))

	padGray := toByte(cfg.padValue)
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = padGray, padGray, padGray, 255
	}

	var rgb [3]uint8
	for k := range b.n {
		left := (k%xmaps)*cellW + pad
		top := (k/xmaps)*cellH + pad
		for y := range b.h {
			for x := range b.w {
				for ch := range 3 {
					src := ch
					if b.c == 1 {
						src = 0 // gray: the same value in R, G and B
					}
					v := b.pixels[((k*b.c+src)*b.h+y)*b.w+x]
					if cfg.mean != nil {
						v = v*pick(cfg.std, ch) + pick(cfg.mean, ch)
					}
					rgb[ch] = toByte(v)
				}
				img.SetRGBA(left+x, top+y, color.RGBA{rgb[0], rgb[1], rgb[2], 255})
			}
		}
		if k < len(cfg.marked) && cfg.marked[k] {
			frame(img, image.Rect(left, top, left+b.w, top+b.h), max(pad, 1))
		}
	}

	factor := cfg.upscale
	if factor == 0 {
		longest := max(img.Bounds().Dx(), img.Bounds().Dy())
		factor = max(1, (autoUpscaleTarget+longest-1)/longest)
	}
	return upscale(img, factor), nil
}

// frame paints a border of the given width in markColor just outside r (over the padding,
// so the image itself stays as it is).
func frame(img *image.RGBA, r image.Rectangle, width int) {
	outer := r.Inset(-width).Intersect(img.Bounds())
	for y := outer.Min.Y; y < outer.Max.Y; y++ {
		for x := outer.Min.X; x < outer.Max.X; x++ {
			if !(image.Point{x, y}).In(r) {
				img.SetRGBA(x, y, markColor)
			}
		}
	}
}

// checkMeanStd checks the values given to Denormalize.
func checkMeanStd(mean, std []float32) error {
	if mean == nil && std == nil {
		return nil
	}
	if len(mean) != len(std) || (len(mean) != 1 && len(mean) != 3) {
		return fmt.Errorf("denormalize needs 1 or 3 values for both mean and std, got %d and %d",
			len(mean), len(std))
	}
	return nil
}

// pick returns the value for RGB channel ch: values holds one value for
// all channels, or one per channel.
func pick(values []float32, ch int) float32 {
	if len(values) == 1 {
		return values[0]
	}
	return values[ch]
}

// toByte clips v to [0,1] (NaN counts as 0) and scales it to 0..255, rounding.
func toByte(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}

// upscale repeats every pixel factor×factor times (nearest neighbour).
func upscale(img *image.RGBA, factor int) *image.RGBA {
	if factor == 1 {
		return img
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	big := image.NewRGBA(image.Rect(0, 0, w*factor, h*factor))
	for y := range h * factor {
		for x := range w * factor {
			big.SetRGBA(x, y, img.RGBAAt(x/factor, y/factor))
		}
	}
	return big
}
