package show

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"
)

// lenetCurves are curves shaped like the document's LeNet run: two flat
// epochs near chance, then the jump.
func lenetCurves() []Series {
	loss := []float64{2.31, 2.30, 1.2, 0.45, 0.25, 0.18, 0.14, 0.12, 0.10, 0.09, 0.08, 0.07, 0.065, 0.06, 0.055, 0.05}
	train := make([]float64, len(loss))
	test := make([]float64, len(loss))
	for i, l := range loss {
		train[i] = math.Min(0.99, 1-l/2.5)
		test[i] = math.Min(0.985, 1-l/2.4)
	}
	return []Series{
		{Name: "train loss", Values: loss},
		{Name: "train accuracy", Values: train},
		{Name: "test accuracy", Values: test},
	}
}

func TestCurvesPNGSize(t *testing.T) {
	tests := []struct {
		name         string
		panels       []Panel
		wantW, wantH int
	}{
		// 324 pixels of chart, then 20 per legend line and 12 of margin.
		{"one panel", []Panel{{XLabel: "epochs", Series: lenetCurves()}}, 432, 324 + 3*20 + 12},
		{"two panels side by side", []Panel{
			{Title: "LeNet", XLabel: "epochs", Series: lenetCurves()},
			{Title: "LeNet + batch norm", XLabel: "epochs", Series: lenetCurves()[:1]},
		}, 864, 324 + 3*20 + 12},
		{"one epoch", []Panel{{Series: []Series{{Name: "loss", Values: []float64{2.3}}}}}, 432, 356},
		{"NaN and Inf are skipped", []Panel{{Series: []Series{{Name: "loss", Values: []float64{2.3, math.NaN(), 1, math.Inf(1)}}}}}, 432, 356},
		{"a series without values", []Panel{{Series: []Series{{Name: "loss"}}}}, 432, 356},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := CurvesPNG(tt.panels...)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != tt.wantW || h != tt.wantH {
				t.Errorf("PNG is %d×%d, want %d×%d", w, h, tt.wantW, tt.wantH)
			}
		})
	}
}

func TestCurvesSVG(t *testing.T) {
	data, err := CurvesSVG(Panel{Title: "LeNet", XLabel: "epochs", Series: lenetCurves()})
	if err != nil {
		t.Fatal(err)
	}
	svg := string(data)
	for _, want := range []string{"<svg", "epochs", "train loss", "train accuracy", "test accuracy", "LeNet"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG has no %q", want)
		}
	}
	for _, unwanted := range []string{"<script", "http://cdn", "https://"} {
		if strings.Contains(svg, unwanted) {
			t.Errorf("SVG contains %q: it must be static and offline", unwanted)
		}
	}
}

func TestCurvesErrors(t *testing.T) {
	tests := []struct {
		name    string
		panels  []Panel
		wantErr string
	}{
		{"no panels", nil, "no panels"},
		{"panel without series", []Panel{{Title: "empty"}}, `panel 1 ("empty"): no series`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := CurvesPNG(tt.panels...); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CurvesPNG: error %v, want one containing %q", err, tt.wantErr)
			}
			if _, err := CurvesSVG(tt.panels...); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CurvesSVG: error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTrainingPanels(t *testing.T) {
	c := lenetCurves()
	panels := TrainingPanels("LeNet", c[0].Values, c[1].Values, c[2].Values)
	if len(panels) != 2 {
		t.Fatalf("got %d panels, want 2 (loss, accuracy)", len(panels))
	}
	if panels[0].Title != "LeNet: loss" || len(panels[0].Series) != 1 {
		t.Errorf("first panel %q with %d series, want \"LeNet: loss\" with the loss alone", panels[0].Title, len(panels[0].Series))
	}
	if acc := panels[1]; acc.YMin != 0 || acc.YMax != 1 || len(acc.Series) != 2 {
		t.Errorf("accuracy panel spans [%g, %g] with %d series, want [0, 1] with 2", acc.YMin, acc.YMax, len(acc.Series))
	}
	nan := []float64{math.NaN(), math.NaN()}
	if got := TrainingPanels("", []float64{2, 1}, []float64{0.5, 0.7}, nan); len(got[1].Series) != 1 {
		t.Errorf("without a test set: %d accuracy series, want 1 (train)", len(got[1].Series))
	}
}

func TestAccuracyAxisIsFixed(t *testing.T) {
	p, _, err := newPlot(Panel{YMin: 0, YMax: 1, Series: []Series{{Name: "test accuracy", Values: []float64{0.2, 0.4}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Min != 0 || p.Y.Max != 1 {
		t.Errorf("y axis [%g, %g], want [0, 1]", p.Y.Min, p.Y.Max)
	}
}

func TestNiceTicks(t *testing.T) {
	epochs := niceTicks{maxTicks: 10, whole: true}
	values := niceTicks{maxTicks: 8}
	tests := []struct {
		ticker niceTicks
		lo, hi float64
		want   string
	}{
		{epochs, 1, 5, "1 2 3 4 5"},
		{epochs, 1, 16, "2 4 6 8 10 12 14 16"},
		{epochs, 1, 100, "10 20 30 40 50 60 70 80 90 100"},
		{epochs, 0.5, 1.5, "1"},
		{values, 0.05, 2.31, "0.5 1.0 1.5 2.0"},
		{values, 0, 1, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{values, 0.1, 0.99, "0.2 0.4 0.6 0.8"},
		{values, 0, 100, "0 20 40 60 80 100"},
		{values, -0.3, 0.4, "-0.3 -0.2 -0.1 0.0 0.1 0.2 0.3 0.4"},
		{values, 0, 0.02, "0.0000 0.0025 0.0050 0.0075 0.0100 0.0125 0.0150 0.0175 0.0200"},
	}
	for _, tt := range tests {
		var labels []string
		for _, tick := range tt.ticker.Ticks(tt.lo, tt.hi) {
			labels = append(labels, tick.Label)
		}
		if got := strings.Join(labels, " "); got != tt.want {
			t.Errorf("ticks for [%g,%g] = %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestLossAxisStartsAtZero(t *testing.T) {
	panels := TrainingPanels("", []float64{2.33, 2.32}, nil, nil)
	p, _, err := newPlot(panels[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Min != 0 || p.Y.Max < 2.33 {
		t.Errorf("loss axis [%g, %g], want it to start at 0 and reach 2.33", p.Y.Min, p.Y.Max)
	}
}
