package show

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Series is one named curve: Values[i] is its value after epoch i+1.
// Values that are not finite (NaN, ±Inf, e.g. a diverged loss) are skipped.
type Series struct {
	Name   string
	Values []float64
}

// Panel is one chart of curves drawn against epochs 1, 2, ...
type Panel struct {
	Title  string // above the chart; may be empty
	XLabel string // e.g. "epochs"
	YLabel string // may be empty
	Series []Series
}

// Size of one panel, close to matplotlib's default figure (6.4×4.8 inches).
// At 96 dots per inch a panel is 576×432 pixels.
const (
	panelWidth  = 6 * vg.Inch
	panelHeight = 4.5 * vg.Inch
	panelDPI    = 96
)

// PlotCurves shows one chart of curves against epochs, with a legend, like
// the document's plt.plot(...); plt.xlabel('epochs'); plt.legend(loc='best'):
//
//	show.PlotCurves("", "epochs",
//		show.Series{Name: "train loss", Values: lossTrain},
//		show.Series{Name: "train accuracy", Values: accTrain},
//		show.Series{Name: "test accuracy", Values: accTest})
//
// Inside GoNB it is displayed inline; elsewhere a PNG and an SVG file are
// written into FiguresDir. Errors are printed to standard error.
func PlotCurves(title, xlabel string, series ...Series) {
	PlotPanels(Panel{Title: title, XLabel: xlabel, Series: series})
}

// PlotPanels shows several charts side by side in one picture, e.g. LeNet
// with and without batch normalization. See PlotCurves.
func PlotPanels(panels ...Panel) {
	if err := plotPanels(panels); err != nil {
		fmt.Fprintln(os.Stderr, "show.PlotPanels:", err)
	}
}

func plotPanels(panels []Panel) error {
	pngData, err := CurvesPNG(panels...)
	if err != nil {
		return err
	}
	svgData, err := CurvesSVG(panels...)
	if err != nil {
		return err
	}
	return presentAndReport(picture{name: nextName("curves"), png: pngData, svg: svgData})
}

// CurvesPNG draws the panels side by side and returns the picture as PNG:
// 576×432 pixels per panel.
func CurvesPNG(panels ...Panel) ([]byte, error) {
	w, h := canvasSize(len(panels))
	canvas := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(panelDPI))
	if err := drawPanels(canvas, panels); err != nil {
		return nil, fmt.Errorf("show.CurvesPNG: %w", err)
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("show.CurvesPNG: encoding: %w", err)
	}
	return buf.Bytes(), nil
}

// CurvesSVG draws the panels side by side and returns the picture as a
// static SVG document (no scripts, no external resources).
func CurvesSVG(panels ...Panel) ([]byte, error) {
	w, h := canvasSize(len(panels))
	canvas := vgsvg.New(w, h)
	if err := drawPanels(canvas, panels); err != nil {
		return nil, fmt.Errorf("show.CurvesSVG: %w", err)
	}
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("show.CurvesSVG: encoding: %w", err)
	}
	return buf.Bytes(), nil
}

func canvasSize(numPanels int) (w, h vg.Length) {
	return vg.Length(max(numPanels, 1)) * panelWidth, panelHeight
}

// drawPanels draws one plot per panel, in a row, on canvas.
func drawPanels(canvas vg.CanvasSizer, panels []Panel) error {
	if len(panels) == 0 {
		return errors.New("no panels to draw")
	}
	row := make([]*plot.Plot, len(panels))
	for i, panel := range panels {
		p, err := newPlot(panel)
		if err != nil {
			return fmt.Errorf("panel %d (%q): %w", i+1, panel.Title, err)
		}
		row[i] = p
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(panels)}
	cells := plot.Align([][]*plot.Plot{row}, tiles, draw.New(canvas))
	for i, p := range row {
		p.Draw(cells[0][i])
	}
	return nil
}

// matplotlib's default colors ("tab10"), so the curves look like the document's.
var lineColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 255}, {0xff, 0x7f, 0x0e, 255}, {0x2c, 0xa0, 0x2c, 255},
	{0xd6, 0x27, 0x28, 255}, {0x94, 0x67, 0xbd, 255}, {0x8c, 0x56, 0x4b, 255},
	{0xe3, 0x77, 0xc2, 255}, {0x7f, 0x7f, 0x7f, 255}, {0xbc, 0xbd, 0x22, 255},
	{0x17, 0xbe, 0xcf, 255},
}

// newPlot builds the gonum plot of one panel.
func newPlot(panel Panel) (*plot.Plot, error) {
	if len(panel.Series) == 0 {
		return nil, errors.New("no series to plot")
	}
	p := plot.New()
	p.Title.Text = panel.Title
	p.X.Label.Text = panel.XLabel
	p.Y.Label.Text = panel.YLabel
	p.X.Tick.Marker = niceTicks{maxTicks: 10, whole: true}
	p.Y.Tick.Marker = niceTicks{maxTicks: 8}

	var all []plotter.XYs
	for i, s := range panel.Series {
		points := finitePoints(s.Values)
		line, err := plotter.NewLine(points)
		if err != nil {
			return nil, fmt.Errorf("series %q: %w", s.Name, err)
		}
		line.Color = lineColors[i%len(lineColors)]
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(s.Name, line)
		all = append(all, points)
	}
	p.Legend.Top, p.Legend.Left = bestLegendCorner(all)
	p.Legend.Padding = vg.Points(2)
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(6), -vg.Points(6)
	if p.Legend.Left {
		p.Legend.XOffs = vg.Points(6)
	}
	if !p.Legend.Top {
		p.Legend.YOffs = vg.Points(6)
	}
	return p, nil
}

// finitePoints returns the points (epoch, value) for epochs 1, 2, ...,
// leaving out values that are NaN or infinite.
func finitePoints(values []float64) plotter.XYs {
	points := make(plotter.XYs, 0, len(values))
	for i, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			points = append(points, plotter.XY{X: float64(i + 1), Y: v})
		}
	}
	return points
}

// bestLegendCorner picks the corner of the chart that the curves cross the
// least, a simple version of matplotlib's legend(loc='best'). Corners are
// tried in matplotlib's order: upper right, upper left, lower left, lower
// right.
func bestLegendCorner(series []plotter.XYs) (top, left bool) {
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, points := range series {
		for _, pt := range points {
			xmin, xmax = min(xmin, pt.X), max(xmax, pt.X)
			ymin, ymax = min(ymin, pt.Y), max(ymax, pt.Y)
		}
	}
	if !(xmax > xmin) || !(ymax > ymin) {
		return true, false // nothing to avoid: upper right
	}

	// The legend box, in fractions of the data range: 40% wide, 30% high.
	const boxW, boxH = 0.4, 0.3
	corners := []struct{ top, left bool }{{true, false}, {true, true}, {false, true}, {false, false}}
	best, bestCount := 0, math.MaxInt
	for i, corner := range corners {
		count := 0
		for _, points := range series {
			for j := 1; j < len(points); j++ {
				// Sample each segment, so a line crossing the box counts
				// even when no data point falls inside it.
				const samples = 20
				for s := range samples + 1 {
					t := float64(s) / samples
					x := ((1-t)*points[j-1].X + t*points[j].X - xmin) / (xmax - xmin)
					y := ((1-t)*points[j-1].Y + t*points[j].Y - ymin) / (ymax - ymin)
					inX := (corner.left && x <= boxW) || (!corner.left && x >= 1-boxW)
					inY := (corner.top && y >= 1-boxH) || (!corner.top && y <= boxH)
					if inX && inY {
						count++
					}
				}
			}
		}
		if count < bestCount {
			best, bestCount = i, count
		}
	}
	return corners[best].top, corners[best].left
}

// niceTicks puts ticks at round values, multiples of 1, 2, 2.5 or 5 times
// a power of ten, at most maxTicks intervals apart across the axis. With
// whole, ticks are whole numbers only (epochs).
type niceTicks struct {
	maxTicks int
	whole    bool
}

// Ticks implements plot.Ticker.
func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	step := niceStep(hi-lo, t.maxTicks, t.whole)
	decimals := 0
	for p := 1.0; decimals < 10 && math.Abs(step*p-math.Round(step*p)) > 1e-9; p *= 10 {
		decimals++
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step*1e-9; i++ {
		v := i * step
		if v == 0 {
			v = 0 // not -0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
	}
	return ticks
}

// niceStep returns the smallest round step that cuts span into at most
// maxTicks intervals.
func niceStep(span float64, maxTicks int, whole bool) float64 {
	if !(span > 0) || math.IsInf(span, 0) {
		return 1
	}
	magnitude := math.Pow(10, math.Floor(math.Log10(span/float64(maxTicks))))
	for {
		for _, m := range []float64{1, 2, 2.5, 5} {
			step := m * magnitude
			if whole && (step < 1 || step != math.Trunc(step)) {
				continue
			}
			if span/step <= float64(maxTicks) {
				return step
			}
		}
		magnitude *= 10
	}
}
