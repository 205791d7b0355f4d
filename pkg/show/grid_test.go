package show

import (
	"image/color"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// images returns a float32 tensor [n,c,h,w] whose values are all value.
func images(n, c, h, w int, value float32) *tensors.Tensor {
	return tensors.FromScalarAndDimensions(value, n, c, h, w)
}

func TestGridSize(t *testing.T) {
	tests := []struct {
		name         string
		images       *tensors.Tensor
		cols         int
		opts         []Option
		wantW, wantH int
	}{
		{"MNIST 10×10, as torchvision", images(100, 1, 28, 28, 0.5), 10, nil, 302, 302},
		{"CIFAR 2×2, no upscale", images(4, 3, 32, 32, 0.5), 2, []Option{Upscale(1)}, 70, 70},
		{"CIFAR 2×2, automatic upscale ×5", images(4, 3, 32, 32, 0.5), 2, nil, 350, 350},
		{"CIFAR 2×2, upscale ×2", images(4, 3, 32, 32, 0.5), 2, []Option{Upscale(2)}, 140, 140},
		{"last row not full", images(7, 1, 28, 28, 0.5), 3, []Option{Upscale(1)}, 92, 92},
		{"fewer images than cols", images(3, 1, 28, 28, 0.5), 10, []Option{Upscale(1)}, 92, 32},
		{"no padding", images(4, 1, 28, 28, 0.5), 2, []Option{Padding(0), Upscale(1)}, 56, 56},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Grid(tt.images, tt.cols, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != tt.wantW || h != tt.wantH {
				t.Errorf("grid is %d×%d, want %d×%d", w, h, tt.wantW, tt.wantH)
			}
		})
	}
}

func TestGridPixels(t *testing.T) {
	black := color.RGBA{0, 0, 0, 255}
	gray := func(v uint8) color.RGBA { return color.RGBA{v, v, v, 255} }

	// One gray 2×2 image: values 0, 0.5 / 1, 2 (clipped to 1) sit at
	// (2,2), (3,2) / (2,3), (3,3) after 2 pixels of padding.
	grayImage := tensors.FromFlatDataAndDimensions([]float32{0, 0.5, 1, 2}, 1, 1, 2, 2)
	// One RGB 1×1 image: R=1, G=0, B=0.5.
	rgbImage := tensors.FromFlatDataAndDimensions([]float32{1, 0, 0.5}, 1, 3, 1, 1)
	// Normalized with mean 0.5, std 0.5: -1 → 0, 0 → 0.5, 1 → 1.
	normalized := tensors.FromFlatDataAndDimensions([]float32{-1, 0, 1, -3}, 1, 1, 2, 2)
	// Two 1×1 images side by side: the second starts at x = 2+1+2 = 5.
	two := tensors.FromFlatDataAndDimensions([]float32{0.2, 0.8}, 2, 1, 1, 1)

	tests := []struct {
		name   string
		images *tensors.Tensor
		cols   int
		opts   []Option
		x, y   int
		want   color.RGBA
	}{
		{"padding is black", grayImage, 1, nil, 0, 0, black},
		{"padding between rows", two, 1, nil, 2, 3, black},
		{"pad value", grayImage, 1, []Option{PadValue(1)}, 0, 0, gray(255)},
		{"0 is black", grayImage, 1, nil, 2, 2, black},
		{"0.5 is 128", grayImage, 1, nil, 3, 2, gray(128)},
		{"1 is 255", grayImage, 1, nil, 2, 3, gray(255)},
		{"above 1 is clipped", grayImage, 1, nil, 3, 3, gray(255)},
		{"RGB channels", rgbImage, 1, nil, 2, 2, color.RGBA{255, 0, 128, 255}},
		{"second image", two, 2, nil, 5, 2, gray(204)},
		{"first image", two, 2, nil, 2, 2, gray(51)},
		{"denormalize -1", normalized, 1, []Option{Denormalize([]float32{0.5}, []float32{0.5})}, 2, 2, black},
		{"denormalize 0", normalized, 1, []Option{Denormalize([]float32{0.5, 0.5, 0.5}, []float32{0.5, 0.5, 0.5})}, 3, 2, gray(128)},
		{"denormalize 1", normalized, 1, []Option{Denormalize([]float32{0.5}, []float32{0.5})}, 2, 3, gray(255)},
		{"below 0 is clipped", normalized, 1, []Option{Denormalize([]float32{0.5}, []float32{0.5})}, 3, 3, black},
		{"upscale repeats pixels", grayImage, 1, []Option{Upscale(3)}, 3*3 + 2, 3*2 + 1, gray(128)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]Option{Upscale(1)}, tt.opts...)
			img, err := Grid(tt.images, tt.cols, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := img.RGBAAt(tt.x, tt.y); got != tt.want {
				t.Errorf("pixel (%d,%d) = %v, want %v", tt.x, tt.y, got, tt.want)
			}
		})
	}
}

func TestGridErrors(t *testing.T) {
	tests := []struct {
		name    string
		images  *tensors.Tensor
		cols    int
		opts    []Option
		wantErr string
	}{
		{"nil tensor", nil, 10, nil, "nil"},
		{"rank 3", tensors.FromScalarAndDimensions(float32(0), 1, 28, 28), 10, nil, "[N,C,H,W]"},
		{"2 channels", images(4, 2, 28, 28, 0), 2, nil, "channels"},
		{"integer pixels", tensors.FromScalarAndDimensions(int32(0), 4, 1, 28, 28), 2, nil, "float32"},
		{"no images", images(0, 1, 28, 28, 0), 2, nil, "empty"},
		{"zero cols", images(4, 1, 28, 28, 0), 0, nil, "cols"},
		{"negative padding", images(4, 1, 28, 28, 0), 2, []Option{Padding(-1)}, "padding"},
		{"mean and std lengths", images(4, 3, 32, 32, 0), 2,
			[]Option{Denormalize([]float32{0.5, 0.5}, []float32{0.5, 0.5})}, "1 or 3 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Grid(tt.images, tt.cols, tt.opts...)
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "show.Grid: ") {
				t.Errorf("error %q, want it to start with \"show.Grid: \" and contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestGridAndPredictionsMarksTheWrongOnes(t *testing.T) {
	images := tensors.FromFlatDataAndDimensions(make([]float32, 4*1*3*3), 4, 1, 3, 3)
	img, text, err := GridAndPredictions(images, 2, 2, []int{7, 1, 4, 9}, []int32{7, 2, 4, 9}, Upscale(1))
	if err != nil {
		t.Fatal(err)
	}
	want := "tensor([[7, 1],\n        [4, 9]])\nwrong: 1 of 4, framed in red: row 1 col 2: 1 (true 2)"
	if text != want {
		t.Errorf("text\n%s\nwant\n%s", text, want)
	}
	// Image 2 (row 1, col 2) starts at x = 2+3+2 = 7, y = 2; its frame is the padding around it.
	if got := img.RGBAAt(6, 2); got != markColor {
		t.Errorf("pixel left of the wrong image is %v, want the mark %v", got, markColor)
	}
	if got := img.RGBAAt(1, 2); got == markColor {
		t.Errorf("pixel left of a right prediction is marked")
	}
	if got := img.RGBAAt(7, 2); got == markColor {
		t.Errorf("the wrong image itself is painted over")
	}
	if _, _, err := GridAndPredictions(images, 2, 2, []int{1, 2, 3, 4}, nil); err == nil {
		t.Error("no error without the true labels")
	}
}

func TestGridAndPredictionsListsAFewWrongOnes(t *testing.T) {
	images := tensors.FromFlatDataAndDimensions(make([]float32, 12), 12, 1, 1, 1)
	predicted := make([]int, 12) // all 0, all wrong
	truth := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3}
	_, text, err := GridAndPredictions(images, 3, 4, predicted, truth)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "wrong: 12 of 12") || !strings.HasSuffix(text, "row 2 col 4: 0 (true 8); and 4 more") {
		t.Errorf("summary %q: want 12 wrong, eight listed, and 4 more", text[strings.Index(text, "wrong"):])
	}
}
