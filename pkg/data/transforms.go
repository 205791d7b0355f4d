package data

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Image is one image on its way through a Transform: C planes of H×W
// float32 values, channels first, that a transform changes in place.
//
// Before ToTensor the values are the image's bytes 0..255 (like a PIL
// image in torchvision); ToTensor divides them by 255 and sets IsTensor.
// So transforms compose in the order given, as in torchvision:
//
//	Compose(RandomHorizontalFlip(), RandomGrayscale(), ToTensor(), Normalize(mean, std))
//
// flips and greys byte values, scales them to [0,1], then normalises.
type Image struct {
	// Pix holds C*H*W values: plane after plane, row after row.
	Pix []float32
	// C, H, W are the number of channels, the height and the width.
	C, H, W int
	// IsTensor is true once ToTensor has scaled the values to [0,1].
	IsTensor bool
}

// Transform changes an image in place, like torchvision's transforms.
// Random transforms draw from rng, which the loader seeds for each image,
// so that a loader with a seed repeats exactly. A Transform must be safe to
// use from several goroutines at once (those here keep no state).
type Transform interface {
	// Apply transforms img in place.
	Apply(img *Image, rng *rand.Rand)
	// String describes the transform the way torchvision prints it.
	String() string
}

// toTensor is ToTensor().
type toTensor struct{}

// ToTensor scales byte values 0..255 to float32 in [0,1] (dividing by 255,
// like torchvision), keeping the N,C,H,W layout. The loaders apply it by
// default when a dataset has no Transform. It does nothing to an image that
// is already a tensor.
func ToTensor() Transform { return toTensor{} }

func (toTensor) Apply(img *Image, _ *rand.Rand) {
	if img.IsTensor {
		return
	}
	for i, v := range img.Pix {
		img.Pix[i] = v / 255
	}
	img.IsTensor = true
}

func (toTensor) String() string { return "ToTensor()" }

// normalize is Normalize(mean, std).
type normalize struct{ mean, std []float32 }

// Normalize subtracts mean[c] from channel c and divides by std[c], as
// torchvision's transforms.Normalize(mean, std). One value applies to every
// channel. It panics if a std is not positive or the lengths differ; a
// loader checks that the lengths fit the dataset's channels.
func Normalize(mean, std []float32) Transform {
	if len(mean) == 0 || len(mean) != len(std) {
		panic(fmt.Sprintf("data.Normalize: %d means and %d stds, want the same number (one per channel, or one for all)", len(mean), len(std)))
	}
	for _, s := range std {
		if !(s > 0) {
			panic(fmt.Sprintf("data.Normalize: std %v must be positive", std))
		}
	}
	return normalize{append([]float32(nil), mean...), append([]float32(nil), std...)}
}

func (n normalize) Apply(img *Image, _ *rand.Rand) {
	plane := img.H * img.W
	for c := range img.C {
		m, s := n.mean[0], n.std[0]
		if len(n.mean) > 1 {
			m, s = n.mean[c], n.std[c]
		}
		p := img.Pix[c*plane : (c+1)*plane]
		for i, v := range p {
			p[i] = (v - m) / s
		}
	}
}

func (n normalize) String() string {
	return fmt.Sprintf("Normalize(mean=%s, std=%s)", floats(n.mean), floats(n.std))
}

func (n normalize) check(c int) error {
	if len(n.mean) != 1 && len(n.mean) != c {
		return fmt.Errorf("%s has %d values for images with %d channels", n, len(n.mean), c)
	}
	return nil
}

func floats(v []float32) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// probability returns p[0], or def when p is empty, and panics when out of [0,1].
func probability(name string, def float64, p []float64) float64 {
	if len(p) == 0 {
		return def
	}
	if len(p) > 1 || !(p[0] >= 0 && p[0] <= 1) {
		panic(fmt.Sprintf("data.%s: want one probability in [0,1], got %v", name, p))
	}
	return p[0]
}

// horizontalFlip is RandomHorizontalFlip(p).
type horizontalFlip struct{ p float64 }

// RandomHorizontalFlip mirrors an image left to right with probability p,
// 0.5 if not given, like torchvision's transforms.RandomHorizontalFlip().
func RandomHorizontalFlip(p ...float64) Transform {
	return horizontalFlip{probability("RandomHorizontalFlip", 0.5, p)}
}

func (f horizontalFlip) Apply(img *Image, rng *rand.Rand) {
	if !(rng.Float64() < f.p) {
		return
	}
	for row := 0; row+img.W <= len(img.Pix); row += img.W {
		r := img.Pix[row : row+img.W]
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
	}
}

func (f horizontalFlip) String() string { return fmt.Sprintf("RandomHorizontalFlip(p=%v)", f.p) }

// grayscale is RandomGrayscale(p).
type grayscale struct{ p float64 }

// RandomGrayscale turns an RGB image grey with probability p, 0.1 if not
// given, like torchvision's transforms.RandomGrayscale(): each pixel becomes
// 0.299 R + 0.587 G + 0.114 B in all three channels, so the image keeps 3
// channels. Before ToTensor it computes with Pillow's integer formula
// (rounded to a byte, as torchvision does on a PIL image), after ToTensor
// in float32. Images with one channel are left as they are.
func RandomGrayscale(p ...float64) Transform {
	return grayscale{probability("RandomGrayscale", 0.1, p)}
}

func (g grayscale) Apply(img *Image, rng *rand.Rand) {
	if !(rng.Float64() < g.p) || img.C != 3 {
		return
	}
	plane := img.H * img.W
	r, gr, b := img.Pix[:plane], img.Pix[plane:2*plane], img.Pix[2*plane:3*plane]
	for i := range r {
		var l float32
		if img.IsTensor {
			l = 0.299*r[i] + 0.587*gr[i] + 0.114*b[i]
		} else {
			// Pillow's ImagingConvert "RGB" to "L": L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16.
			l = float32((byteOf(r[i])*19595 + byteOf(gr[i])*38470 + byteOf(b[i])*7471 + 0x8000) >> 16)
		}
		r[i], gr[i], b[i] = l, l, l
	}
}

// byteOf rounds a 0..255 value to an int, clamped.
func byteOf(v float32) int32 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return int32(v + 0.5)
}

func (g grayscale) String() string { return fmt.Sprintf("RandomGrayscale(p=%v)", g.p) }

// compose is Compose(...).
type compose []Transform

// Compose chains transforms, applied in the order given, like torchvision's
// transforms.Compose([...]).
func Compose(transforms ...Transform) Transform {
	return compose(append([]Transform(nil), transforms...))
}

func (c compose) Apply(img *Image, rng *rand.Rand) {
	for _, t := range c {
		t.Apply(img, rng)
	}
}

func (c compose) String() string {
	var b strings.Builder
	b.WriteString("Compose(\n")
	for _, t := range c {
		s := "nil"
		if t != nil {
			s = t.String()
		}
		b.WriteString("    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n")
	}
	b.WriteString(")")
	return b.String()
}

// lambda is Lambda(name, fn).
type lambda struct {
	name string
	fn   func(img *Image, rng *rand.Rand)
}

// Lambda makes a Transform of a function, like torchvision's
// transforms.Lambda; name is what String prints.
func Lambda(name string, fn func(img *Image, rng *rand.Rand)) Transform {
	return lambda{name, fn}
}

func (l lambda) Apply(img *Image, rng *rand.Rand) { l.fn(img, rng) }
func (l lambda) String() string                   { return "Lambda(" + l.name + ")" }

// flatten lists the steps of t, with Compose expanded (nil gives none).
func flatten(t Transform) []Transform {
	switch t := t.(type) {
	case nil:
		return nil
	case compose:
		var steps []Transform
		for _, s := range t {
			if s == nil {
				steps = append(steps, nil)
				continue
			}
			steps = append(steps, flatten(s)...)
		}
		return steps
	default:
		return []Transform{t}
	}
}

// checkTransform reports transforms that cannot apply to images with c channels.
func checkTransform(t Transform, c int) error {
	for _, s := range flatten(t) {
		if s == nil {
			return fmt.Errorf("a nil transform in Compose")
		}
		if n, ok := s.(normalize); ok {
			if err := n.check(c); err != nil {
				return err
			}
		}
	}
	return nil
}
