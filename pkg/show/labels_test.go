package show

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// The document's first label matrix (LeNet on MNIST), as PyTorch printed it.
var documentLabels = []int{
	1, 1, 1, 2, 4, 8, 6, 1, 2, 4,
	1, 1, 7, 1, 9, 0, 1, 8, 9, 2,
	1, 4, 9, 2, 1, 6, 6, 7, 1, 9,
	4, 5, 5, 8, 5, 1, 5, 9, 6, 0,
	9, 5, 3, 9, 0, 3, 2, 5, 6, 4,
	6, 9, 7, 1, 0, 2, 2, 0, 2, 2,
	9, 7, 3, 0, 7, 1, 5, 8, 5, 0,
	5, 0, 6, 4, 9, 2, 9, 2, 5, 2,
	8, 5, 8, 2, 3, 6, 8, 0, 2, 4,
	5, 6, 6, 5, 1, 2, 1, 4, 2, 4,
}

const documentLabelsText = `tensor([[1, 1, 1, 2, 4, 8, 6, 1, 2, 4],
        [1, 1, 7, 1, 9, 0, 1, 8, 9, 2],
        [1, 4, 9, 2, 1, 6, 6, 7, 1, 9],
        [4, 5, 5, 8, 5, 1, 5, 9, 6, 0],
        [9, 5, 3, 9, 0, 3, 2, 5, 6, 4],
        [6, 9, 7, 1, 0, 2, 2, 0, 2, 2],
        [9, 7, 3, 0, 7, 1, 5, 8, 5, 0],
        [5, 0, 6, 4, 9, 2, 9, 2, 5, 2],
        [8, 5, 8, 2, 3, 6, 8, 0, 2, 4],
        [5, 6, 6, 5, 1, 2, 1, 4, 2, 4]])`

func TestLabelMatrix(t *testing.T) {
	tests := []struct {
		name       string
		labels     []int
		rows, cols int
		want       string
	}{
		{"the document's MNIST labels", documentLabels, 10, 10, documentLabelsText},
		{"2×2", []int{3, 5, 5, 5}, 2, 2, "tensor([[3, 5],\n        [5, 5]])"},
		{"one row", []int{7, 2, 1}, 1, 3, "tensor([[7, 2, 1]])"},
		{"right-aligned to the widest", []int{1, 10, -3, 100}, 2, 2,
			"tensor([[  1,  10],\n        [ -3, 100]])"},
		{"a long row wraps after 18 two-digit numbers, as PyTorch does", seq(30), 1, 30,
			"tensor([[ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n" +
				"         18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]])"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LabelMatrix(tt.labels, tt.rows, tt.cols)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func seq(n int) []int {
	values := make([]int, n)
	for i := range values {
		values[i] = i
	}
	return values
}

func TestNameMatrix(t *testing.T) {
	airplanes := make([]string, 10)
	for i := range airplanes {
		airplanes[i] = "airplane"
	}
	tests := []struct {
		name       string
		names      []string
		rows, cols int
		want       string
	}{
		{"the document's CIFAR-10 labels", []string{"bird", "dog", "dog", "dog"}, 2, 2,
			"[['bird' 'dog']\n ['dog' 'dog']]"},
		{"one row", []string{"cat", "ship"}, 1, 2, "[['cat' 'ship']]"},
		{"quotes as Python's repr", []string{"it's", `a\b`}, 1, 2, `[["it's" 'a\\b']]`},
		{"a long row wraps at 75 characters, as numpy does", airplanes, 1, 10,
			"[['airplane' 'airplane' 'airplane' 'airplane' 'airplane' 'airplane'\n" +
				"  'airplane' 'airplane' 'airplane' 'airplane']]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NameMatrix(tt.names, tt.rows, tt.cols)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestMatrixErrors(t *testing.T) {
	if _, err := LabelMatrix([]int{1, 2, 3}, 2, 2); err == nil || !strings.Contains(err.Error(), "cannot arrange 3 labels as 2×2") {
		t.Errorf("LabelMatrix: error %v, want one about 3 labels in 2×2", err)
	}
	if _, err := NameMatrix([]string{"cat"}, 0, 1); err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("NameMatrix: error %v, want one about positive rows", err)
	}
}

func TestGridAndLabels(t *testing.T) {
	classes := []string{"plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	cifar := images(100, 3, 32, 32, 0.5)
	tests := []struct {
		name       string
		images     *tensors.Tensor
		rows, cols int
		labels     any
		opts       []Option
		want       string
	}{
		{"int64 tensor", images(100, 1, 28, 28, 0), 10, 10,
			tensors.FromFlatDataAndDimensions(toInt64(documentLabels), 100), nil, documentLabelsText},
		{"int32 tensor, first 4 of 100", cifar, 2, 2,
			tensors.FromFlatDataAndDimensions([]int32{2, 5, 5, 5, 9, 9}, 6), nil, "tensor([[2, 5],\n        [5, 5]])"},
		{"[]int32 with class names, as the document's CIFAR-10 cell", cifar, 2, 2,
			[]int32{2, 5, 5, 5}, []Option{Classes(classes)}, "[['bird' 'dog']\n ['dog' 'dog']]"},
		{"[]int", cifar, 1, 2, []int{0, 1}, nil, "tensor([[0, 1]])"},
		{"[]int64", cifar, 1, 2, []int64{0, 1}, nil, "tensor([[0, 1]])"},
		{"[]string", cifar, 1, 2, []string{"cat", "dog"}, nil, "[['cat' 'dog']]"},
		{"no labels", cifar, 1, 2, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, got, err := GridAndLabels(tt.images, tt.rows, tt.cols, tt.labels, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if img == nil {
				t.Fatal("no image")
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func toInt64(values []int) []int64 {
	out := make([]int64, len(values))
	for i, v := range values {
		out[i] = int64(v)
	}
	return out
}

func TestGridAndLabelsErrors(t *testing.T) {
	mnist := images(100, 1, 28, 28, 0)
	tests := []struct {
		name       string
		images     *tensors.Tensor
		rows, cols int
		labels     any
		opts       []Option
		wantErr    string
	}{
		{"too few images", images(4, 3, 32, 32, 0), 3, 3, nil, nil, "4 images, but 3×3 needs 9"},
		{"too few labels", mnist, 10, 10, []int{1, 2, 3}, nil, "3 labels, but 10×10 needs 100"},
		{"zero rows", mnist, 0, 10, nil, nil, "positive"},
		{"float labels", mnist, 1, 1, tensors.FromScalarAndDimensions(float32(1), 10), nil, "arg-max"},
		{"unsupported labels", mnist, 1, 1, []float64{1}, nil, "[]float64"},
		{"label without class name", mnist, 1, 1, []int{12}, []Option{Classes([]string{"a", "b"})}, "label 12"},
		{"bad images", tensors.FromScalarAndDimensions(float32(0), 28, 28), 1, 1, nil, nil, "[N,C,H,W]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := GridAndLabels(tt.images, tt.rows, tt.cols, tt.labels, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
