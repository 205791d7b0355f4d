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
	// YMin and YMax, when YMax > YMin, fix the y axis (0 and 1 for accuracies, so that
	// charts compare at a glance); otherwise it fits the data.
	YMin, YMax float64
	// FromZero starts the y axis at 0 and fits its top to the data (losses: a fall from 2.33
	// to 2.32 then looks as small as it is).
	FromZero bool
	Series   []Series
}

// Size of one panel: 4.5×3.375 inches, 432×324 pixels at 96 dots per inch,
// plus a strip below it for the legend (legendLine per line). Two panels side
// by side (864 pixels) fit the width of a notebook's output area, so Jupyter
// shows them at their own size, not scaled down and blurred.
const (
	panelWidth  = 4.5 * vg.Inch
	panelHeight = 3.375 * vg.Inch
	panelDPI    = 96
	legendLine  = 15 // points
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

// TrainingPanels are the two charts of a training run: the loss on its own
// panel, and the accuracies on a second one whose axis runs from 0 to 1. A nil
// or empty slice is left out (a run without a test set has no test accuracy).
func TrainingPanels(title string, loss, trainAcc, testAcc []float64) []Panel {
	prefix := ""
	if title != "" {
		prefix = title + ": "
	}
	lossPanel := Panel{Title: prefix + "loss", XLabel: "epochs", YLabel: "loss", FromZero: true}
	accPanel := Panel{Title: prefix + "accuracy", XLabel: "epochs", YLabel: "accuracy", YMin: 0, YMax: 1}
	if len(loss) > 0 {
		lossPanel.Series = append(lossPanel.Series, Series{Name: "train loss", Values: loss})
	}
	for _, s := range []Series{{"train accuracy", trainAcc}, {"test accuracy", testAcc}} {
		if hasFinite(s.Values) {
			accPanel.Series = append(accPanel.Series, s)
		}
	}
	var panels []Panel
	for _, p := range []Panel{lossPanel, accPanel} {
		if len(p.Series) > 0 {
			panels = append(panels, p)
		}
	}
	return panels
}

// hasFinite reports whether values holds at least one finite number.
func hasFinite(values []float64) bool {
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			return true
		}
	}
	return false
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
// 432 pixels wide per panel, 324 high plus the legend below.
func CurvesPNG(panels ...Panel) ([]byte, error) {
	w, h := canvasSize(panels)
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
	w, h := canvasSize(panels)
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

func canvasSize(panels []Panel) (w, h vg.Length) {
	return vg.Length(max(len(panels), 1)) * panelWidth, panelHeight + legendHeight(panels)
}

// legendHeight is the height of the strip below the charts that holds their
// legends: one line per series of the panel with the most.
func legendHeight(panels []Panel) vg.Length {
	most := 0
	for _, p := range panels {
		most = max(most, len(p.Series))
	}
	return vg.Length(most)*legendLine + 9
}

// drawPanels draws one plot per panel, in a row, on canvas, each with its
// legend in a strip below it, outside the data.
func drawPanels(canvas vg.CanvasSizer, panels []Panel) error {
	if len(panels) == 0 {
		return errors.New("no panels to draw")
	}
	// A series keeps its color in every panel of the picture ("test accuracy" is the same
	// green in both halves of a comparison).
	colors := map[string]color.RGBA{}
	for _, panel := range panels {
		for _, s := range panel.Series {
			if _, ok := colors[s.Name]; !ok {
				colors[s.Name] = lineColors[len(colors)%len(lineColors)]
			}
		}
	}
	row := make([]*plot.Plot, len(panels))
	legends := make([]plot.Legend, len(panels))
	for i, panel := range panels {
		p, legend, err := newPlot(panel, colors)
		if err != nil {
			return fmt.Errorf("panel %d (%q): %w", i+1, panel.Title, err)
		}
		row[i], legends[i] = p, legend
	}
	dc := draw.New(canvas)
	strip := legendHeight(panels)
	charts := draw.Crop(dc, 0, 0, strip, 0)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels)}
	cells := plot.Align([][]*plot.Plot{row}, tiles, charts)
	for i, p := range row {
		p.Draw(cells[0][i])
		// The legend goes under the chart's x axis label, lined up with its data area's left edge.
		below := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: cells[0][i].Min.X, Y: dc.Min.Y},
			Max: vg.Point{X: cells[0][i].Max.X, Y: dc.Min.Y + strip},
		}}
		legends[i].Draw(below)
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

// gridColor is matplotlib's grid (light gray).
var gridColor = color.Gray{Y: 0xdd}

// newPlot builds the gonum plot of one panel, and its legend, to be drawn
// outside the chart. colors maps series names to colors; a name it lacks
// gets matplotlib's color for its position.
func newPlot(panel Panel, colors map[string]color.RGBA) (*plot.Plot, plot.Legend, error) {
	legend := plot.NewLegend()
	if len(panel.Series) == 0 {
		return nil, legend, errors.New("no series to plot")
	}
	p := plot.New()
	p.Title.Text = panel.Title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = panel.XLabel
	p.Y.Label.Text = panel.YLabel
	p.X.Tick.Marker = niceTicks{maxTicks: 10, whole: true}
	p.Y.Tick.Marker = niceTicks{maxTicks: 8}
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridColor, gridColor
	grid.Vertical.Width, grid.Horizontal.Width = vg.Points(0.6), vg.Points(0.6)
	p.Add(grid)

	for i, s := range panel.Series {
		points := finitePoints(s.Values)
		line, dots, err := plotter.NewLinePoints(points)
		if err != nil {
			return nil, legend, fmt.Errorf("series %q: %w", s.Name, err)
		}
		c, ok := colors[s.Name]
		if !ok {
			c = lineColors[i%len(lineColors)]
		}
		line.Color, line.Width = c, vg.Points(1.5)
		dots.Color, dots.Shape, dots.Radius = c, draw.CircleGlyph{}, vg.Points(2.2)
		p.Add(line, dots)
		legend.Add(s.Name, line, dots)
	}
	legend.Top, legend.Left = true, true
	legend.Padding = vg.Points(3)
	legend.YOffs = -vg.Points(4)
	legend.XOffs = vg.Points(40) // about where the y axis is
	switch {
	case panel.YMax > panel.YMin:
		p.Y.Min, p.Y.Max = panel.YMin, panel.YMax
	case panel.FromZero:
		p.Y.Min = min(p.Y.Min, 0)
		if !(p.Y.Max > 0) {
			p.Y.Max = 1
		}
	}
	if p.X.Max-p.X.Min < 1 { // one epoch: give the dot some room
		p.X.Min, p.X.Max = p.X.Min-0.5, p.X.Max+0.5
	}
	return p, legend, nil
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
