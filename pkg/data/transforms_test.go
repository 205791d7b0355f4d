package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// img makes an Image of the given size holding values.
func img(c, h, w int, isTensor bool, values ...float32) *Image {
	return &Image{Pix: slices.Clone(values), C: c, H: h, W: w, IsTensor: isTensor}
}

func TestTransforms(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name    string
		t       Transform
		in      *Image
		want    []float32
		tensor  bool // IsTensor afterwards
		approx  bool
		wantStr string
	}{
		{"ToTensor", ToTensor(), img(1, 1, 4, false, 0, 255, 51, 128), []float32{0, 1, 0.2, 128.0 / 255}, true, false, "ToTensor()"},
		{"ToTensor twice", ToTensor(), img(1, 1, 2, true, 0.5, 1), []float32{0.5, 1}, true, false, ""},
		{"Normalize per channel", Normalize([]float32{0.5, 0.25, 0}, []float32{0.5, 0.25, 2}),
			img(3, 1, 2, true, 0, 1, 0.25, 0.75, 1, -1), []float32{-1, 1, 0, 2, 0.5, -0.5}, true, false,
			"Normalize(mean=[0.5, 0.25, 0], std=[0.5, 0.25, 2])"},
		{"Normalize one for all", Normalize([]float32{0.1307}, []float32{0.3081}),
			img(1, 1, 2, true, 0, 1), []float32{(0 - 0.1307) / 0.3081, (1 - 0.1307) / 0.3081}, true, true, ""},
		{"flip p=1", RandomHorizontalFlip(1), img(2, 2, 3, false, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
			[]float32{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10}, false, false, "RandomHorizontalFlip(p=1)"},
		{"flip p=0", RandomHorizontalFlip(0), img(1, 1, 3, false, 1, 2, 3), []float32{1, 2, 3}, false, false, ""},
		{"flip default p", RandomHorizontalFlip(), img(1, 1, 1, false, 1), []float32{1}, false, false, "RandomHorizontalFlip(p=0.5)"},
		// Before ToTensor: Pillow's integer formula, rounded to bytes.
		{"grayscale bytes", RandomGrayscale(1), img(3, 1, 4, false, 255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30),
			[]float32{76, 150, 29, 18, 76, 150, 29, 18, 76, 150, 29, 18}, false, false, "RandomGrayscale(p=1)"},
		// After ToTensor: 0.299 R + 0.587 G + 0.114 B in float32.
		{"grayscale tensor", RandomGrayscale(1), img(3, 1, 2, true, 1, 0.2, 0, 0.4, 0, 0.6),
			[]float32{0.299, 0.299*0.2 + 0.587*0.4 + 0.114*0.6, 0.299, 0.299*0.2 + 0.587*0.4 + 0.114*0.6, 0.299, 0.299*0.2 + 0.587*0.4 + 0.114*0.6}, true, true, ""},
		{"grayscale one channel", RandomGrayscale(1), img(1, 1, 2, false, 3, 4), []float32{3, 4}, false, false, ""},
		{"grayscale default p", RandomGrayscale(0), img(3, 1, 1, false, 1, 2, 3), []float32{1, 2, 3}, false, false, ""},
		{"Compose in the document's order", Compose(RandomHorizontalFlip(1), RandomGrayscale(1), ToTensor(), Normalize([]float32{0.5, 0.5, 0.5}, []float32{0.5, 0.5, 0.5})),
			img(3, 1, 2, false, 255, 0, 0, 255, 0, 0),
			// flip: R=[0,255] G=[255,0] B=[0,0]; grey: [150, 76]; /255; (x-0.5)/0.5
			[]float32{150.0/255*2 - 1, 76.0/255*2 - 1, 150.0/255*2 - 1, 76.0/255*2 - 1, 150.0/255*2 - 1, 76.0/255*2 - 1}, true, true, ""},
		{"Lambda", Lambda("negate", func(im *Image, _ *rand.Rand) {
			for i := range im.Pix {
				im.Pix[i] = -im.Pix[i]
			}
		}), img(1, 1, 2, true, 1, 2), []float32{-1, -2}, true, false, "Lambda(negate)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.t.Apply(tc.in, rng)
			for i, v := range tc.in.Pix {
				if tc.approx && math.Abs(float64(v-tc.want[i])) > 1e-6 || !tc.approx && v != tc.want[i] {
					t.Errorf("got %v, want %v", tc.in.Pix, tc.want)
					break
				}
			}
			if tc.in.IsTensor != tc.tensor {
				t.Errorf("IsTensor = %v", tc.in.IsTensor)
			}
			if tc.wantStr != "" && tc.t.String() != tc.wantStr {
				t.Errorf("String() = %q, want %q", tc.t.String(), tc.wantStr)
			}
		})
	}
}

// TestRandomRates checks the default probabilities: flip 0.5, grey 0.1.
func TestRandomRates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 20000
	for _, tc := range []struct {
		t    Transform
		want float64
	}{{RandomHorizontalFlip(), 0.5}, {RandomGrayscale(), 0.1}} {
		changed := 0
		for range n {
			im := img(3, 1, 2, false, 1, 2, 3, 4, 5, 6)
			tc.t.Apply(im, rng)
			if im.Pix[0] != 1 {
				changed++
			}
		}
		if got := float64(changed) / n; math.Abs(got-tc.want) > 0.015 {
			t.Errorf("%v changed %.3f of the images, want %.2f", tc.t, got, tc.want)
		}
	}
}

func TestTransformPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"std 0":          func() { Normalize([]float32{0}, []float32{0}) },
		"lengths differ": func() { Normalize([]float32{0, 0}, []float32{1}) },
		"p > 1":          func() { RandomHorizontalFlip(1.5) },
		"p < 0":          func() { RandomGrayscale(-0.1) },
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
