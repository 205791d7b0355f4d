package models

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/juanji/juanji/pkg/nn"
)

func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	b, err := backends.NewWithConfig("go:parallelism=-1")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDocumentShapes runs the document's shape checks.
func TestDocumentShapes(t *testing.T) {
	backend := testBackend(t)
	tests := []struct {
		name     string
		layer    nn.Layer
		in, want []int
	}{
		{"Residual(3, 3)", Residual(3, 3, false, 1), []int{4, 3, 6, 6}, []int{4, 3, 6, 6}},
		{"Residual(3, 6, True, strides=2)", Residual(3, 6, true, 2), []int{4, 3, 6, 6}, []int{4, 6, 3, 3}},
		{"TrashNet", TrashNet(), []int{4, 3, 32, 32}, []int{4, 10}},
		{"LeNet", LeNet(), []int{4, 1, 28, 28}, []int{4, 10}},
		{"LeNet flat input", LeNet(), []int{4, 784}, []int{4, 10}},
		{"ResNet18", ResNet18(3), []int{2, 3, 32, 32}, []int{2, 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y, err := nn.Forward(backend, tc.layer, nn.Rand(tc.in...))
			if err != nil {
				t.Fatal(err)
			}
			if got := y.Shape().Dimensions; !slices.Equal(got, tc.want) {
				t.Errorf("%s on %v: got shape %v, want %v", tc.name, tc.in, got, tc.want)
			}
		})
	}
}

// TestShapesOfNamedNetworks traces d2l's networks at their full size (shapes only).
func TestShapesOfNamedNetworks(t *testing.T) {
	backend := testBackend(t)
	tests := []struct {
		name    string
		net     nn.Layer
		in      []int
		lastOut string
	}{
		{"AlexNet", AlexNet(1, 224), []int{1, 1, 224, 224}, "Linear output shape:\t [1 10]"},
		{"VGG11", VGG11(1, 224), []int{1, 1, 224, 224}, "Linear output shape:\t [1 10]"},
		{"NiN", NiN(1), []int{1, 1, 224, 224}, "Flatten output shape:\t [1 10]"},
		{"GoogLeNet", GoogLeNet(1), []int{1, 1, 96, 96}, "Linear output shape:\t [1 10]"},
		{"ResNet18", ResNet18(1), []int{1, 1, 96, 96}, "Linear output shape:\t [1 10]"},
		{"AlexNet narrow 112", nn.Sequential(nn.Upsample(4), AlexNet(8, 112)), []int{1, 1, 28, 28}, "Sequential output shape:\t [1 10]"},
		{"VGG11 narrow 112", nn.Sequential(nn.Upsample(4), VGG11(16, 112)), []int{1, 1, 28, 28}, "Sequential output shape:\t [1 10]"},
		{"LeNetBN", LeNetBN(), []int{2, 1, 28, 28}, "Linear output shape:\t [2 10]"},
		{"LeNet", LeNet(), []int{1, 1, 28, 28}, "Linear output shape:\t [1 10]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := nn.Shapes(backend, tc.net, tc.in...)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(s), "\n")
			if last := lines[len(lines)-1]; last != tc.lastOut {
				t.Errorf("last line %q, want %q\n%s", last, tc.lastOut, s)
			}
		})
	}
}

// TestParamCounts compares with PyTorch's sum(p.numel() for p in net.parameters()) for the
// same networks (see bench/pytorch_bench.py and the values noted beside each case).
func TestParamCounts(t *testing.T) {
	tests := []struct {
		name string
		net  nn.Layer
		want int
	}{
		{"LeNet", LeNet(), 61706},
		{"TrashNet", TrashNet(), 133514},
		{"ResNet18 (3 channels)", ResNet18(3), 11184650},
		{"AlexNet (d2l)", AlexNet(1, 224), 46764746},
		{"VGG-11 (d2l)", VGG11(1, 224), 128806154},
		{"NiN (d2l)", NiN(1), 1992166},
		{"GoogLeNet (d2l)", GoogLeNet(1), 5977530},
		// Notebook 02's narrowed networks with batch norm after every convolution, counted by
		// PyTorch with notebooks/pytorch/classic_cnns_check.py.
		{"VGG-11 /16 + batch norm", nn.WithBatchNorm(VGG11(16, 112)), 178898},
		{"NiN /8 + batch norm", nn.WithBatchNorm(NiN(8)), 37258},
		{"GoogLeNet /8 + batch norm", nn.WithBatchNorm(GoogLeNet(8)), 97488},
	}
	for _, tc := range tests {
		if got := nn.NumParams(tc.net); got != tc.want {
			t.Errorf("%s: %d parameters, want %d", tc.name, got, tc.want)
		}
	}
}

func TestLeNetPrintout(t *testing.T) {
	want := `Sequential(
  (0): Reshape(-1, 1, 28, 28)
  (1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
  (2): Sigmoid()
  (3): AvgPool2d(kernel_size=2, stride=2, padding=0)
  (4): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
  (5): Sigmoid()
  (6): AvgPool2d(kernel_size=2, stride=2, padding=0)
  (7): Flatten(start_dim=1, end_dim=-1)
  (8): Linear(in_features=400, out_features=120, bias=True)
  (9): Sigmoid()
  (10): Linear(in_features=120, out_features=84, bias=True)
  (11): Sigmoid()
  (12): Linear(in_features=84, out_features=10, bias=True)
)`
	if got := LeNet().String(); got != want {
		t.Errorf("LeNet printout:\n%s\nwant:\n%s", got, want)
	}
}
