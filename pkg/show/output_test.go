package show

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// useTempFiguresDir sends figures to a fresh directory for one test.
func useTempFiguresDir(t *testing.T) string {
	t.Helper()
	old := FiguresDir
	FiguresDir = t.TempDir()
	t.Cleanup(func() { FiguresDir = old })
	return FiguresDir
}

// captureStdout returns what f prints to standard output.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = old }()
	done := make(chan string)
	go func() {
		data, _ := io.ReadAll(r)
		done <- string(data)
	}()
	f()
	w.Close()
	return <-done
}

// decodePNG reads a PNG file and returns its size.
func decodePNG(t *testing.T, path string) (w, h int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestShowImagesWritesFileAndPrintsLabels(t *testing.T) {
	dir := useTempFiguresDir(t)
	labels := tensors.FromFlatDataAndDimensions(toInt64(documentLabels), 100)
	out := captureStdout(t, func() {
		ShowImages(images(100, 1, 28, 28, 0.5), 10, 10, labels)
	})
	lines := strings.SplitN(out, "\n", 2)
	if !strings.HasPrefix(lines[0], "figure saved to "+dir) {
		t.Errorf("first line %q, want the figure's path", lines[0])
	}
	path := strings.TrimPrefix(lines[0], "figure saved to ")
	if w, h := decodePNG(t, path); w != 302 || h != 302 {
		t.Errorf("%s is %d×%d, want 302×302", path, w, h)
	}
	// What Python's print("labels: \n", labels.reshape((10, 10))) prints.
	want := "labels: \n " + documentLabelsText + "\n"
	if lines[1] != want {
		t.Errorf("printed\n%s\nwant\n%s", lines[1], want)
	}
}

func TestPlotCurvesWritesPNGAndSVG(t *testing.T) {
	useTempFiguresDir(t)
	out := captureStdout(t, func() {
		PlotCurves("LeNet", "epochs", lenetCurves()...)
	})
	lines := strings.Fields(strings.ReplaceAll(out, "figure saved to", ""))
	if len(lines) != 2 || filepath.Ext(lines[0]) != ".png" || filepath.Ext(lines[1]) != ".svg" {
		t.Fatalf("printed %q, want the paths of a PNG and an SVG", out)
	}
	if w, h := decodePNG(t, lines[0]); w != 432 || h != 324+3*20+12 { // chart, then the legend below it
		t.Errorf("%s is %d×%d, want 432×396", lines[0], w, h)
	}
}

func TestLiveCurvesRewritesOneFile(t *testing.T) {
	dir := useTempFiguresDir(t)
	live := NewLiveCurves("LeNet", "epochs", "train loss", "test accuracy")
	out := captureStdout(t, func() {
		for epoch := range 3 {
			if err := live.Append(2.3/float64(epoch+1), 0.1*float64(epoch+1)); err != nil {
				t.Fatal(err)
			}
		}
	})
	if strings.Count(out, "live curves in") != 1 {
		t.Errorf("printed %q, want the path once", out)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Fatalf("%d files in %s, want 1", len(files), dir)
	}
	decodePNG(t, filepath.Join(dir, files[0].Name()))
	if got := len(live.Series()[0].Values); got != 3 {
		t.Errorf("train loss has %d values, want 3", got)
	}

	if err := live.Append(1); err == nil {
		t.Error("Append with 1 value for 2 series: no error")
	}
	captureStdout(t, func() {
		if err := live.Update(Series{Name: "loss", Values: []float64{3, 2, 1, 0.5}}); err != nil {
			t.Fatal(err)
		}
	})
	if got := len(live.Series()); got != 1 {
		t.Errorf("after Update, %d series, want 1", got)
	}
}

func TestNextName(t *testing.T) {
	a, b := nextName("test-prefix"), nextName("test-prefix")
	if a != "test-prefix-001" || b != "test-prefix-002" {
		t.Errorf("names %q, %q, want test-prefix-001, test-prefix-002", a, b)
	}
}

// TestSamples writes sample pictures for a person to look at, into the
// directory named by JUANJI_SHOW_SAMPLES; it is skipped when that is unset.
//
//	JUANJI_SHOW_SAMPLES=/tmp/show go test -run TestSamples ./pkg/show
func TestSamples(t *testing.T) {
	dir := os.Getenv("JUANJI_SHOW_SAMPLES")
	if dir == "" {
		t.Skip("JUANJI_SHOW_SAMPLES not set")
	}
	old := FiguresDir
	FiguresDir = dir
	defer func() { FiguresDir = old }()

	// Digit-like strokes: each image has a bar whose position depends on its index.
	const n, h, w = 100, 28, 28
	pixels := make([]float32, n*h*w)
	for k := range n {
		for y := 4; y < 24; y++ {
			for x := 0; x < 4; x++ {
				pixels[(k*h+y)*w+4+(k%20)+x] = float32(y) / 24
			}
		}
	}
	ShowImages(tensors.FromFlatDataAndDimensions(pixels, n, 1, h, w), 10, 10, documentLabels)

	// CIFAR-like colors, normalized with mean 0.5 and std 0.5 (values in [-1,1]).
	const c, s = 3, 32
	rgb := make([]float32, 4*c*s*s)
	for k := range 4 {
		for ch := range c {
			for i := range s * s {
				rgb[((k*c+ch)*s*s)+i] = float32(i%s)/16 - 1 + float32((k+ch)%3)*0.3
			}
		}
	}
	classes := []string{"plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	ShowImages(tensors.FromFlatDataAndDimensions(rgb, 4, c, s, s), 2, 2, []int{2, 5, 5, 5},
		Classes(classes), Denormalize([]float32{0.5, 0.5, 0.5}, []float32{0.5, 0.5, 0.5}))

	PlotCurves("", "epochs", lenetCurves()...)
	PlotPanels(
		Panel{Title: "LeNet", XLabel: "epochs", Series: lenetCurves()},
		Panel{Title: "LeNet + batch norm", XLabel: "epochs", Series: lenetCurves()[1:]},
	)
}

func TestImage(t *testing.T) {
	dir := useTempFiguresDir(t)
	out := captureStdout(t, func() {
		if err := Image(image.NewGray(image.Rect(0, 0, 7, 5))); err != nil {
			t.Fatal(err)
		}
	})
	path := strings.TrimSpace(strings.TrimPrefix(out, "figure saved to "))
	if !strings.HasPrefix(path, dir) {
		t.Fatalf("printed %q, want the figure's path under %s", out, dir)
	}
	if w, h := decodePNG(t, path); w != 7 || h != 5 {
		t.Errorf("%s is %d×%d, want 7×5", path, w, h)
	}
	if err := Image(image.NewGray(image.Rect(0, 0, 0, 0))); err == nil {
		t.Error("empty picture: got no error")
	}
	if err := Image(nil); err == nil {
		t.Error("nil picture: got no error")
	}
}
