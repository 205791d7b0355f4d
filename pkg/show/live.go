package show

import (
	"fmt"

	"github.com/janpfeifer/gonb/gonbui"
)

// LiveCurves is a chart of curves that is redrawn in place during
// training, once per epoch. Inside GoNB it is one output block that each
// call replaces; elsewhere it is one PNG file in FiguresDir that each call
// rewrites (its path is printed once).
//
// It knows nothing about training: give it values.
//
//	live := show.NewLiveCurves("LeNet", "epochs", "train loss", "train accuracy", "test accuracy")
//	for epoch := range epochs {
//		... train ...
//		live.Append(loss, trainAcc, testAcc)
//	}
type LiveCurves struct {
	panels    []Panel
	displayID string // the GoNB output block
	fileName  string // the file outside GoNB, without extension
	reported  bool   // whether the file's path was printed
}

// NewLiveCurves creates a live chart with one empty series per name.
// Nothing is shown until the first Append or Update.
func NewLiveCurves(title, xlabel string, names ...string) *LiveCurves {
	series := make([]Series, len(names))
	for i, name := range names {
		series[i].Name = name
	}
	return &LiveCurves{
		panels:    []Panel{{Title: title, XLabel: xlabel, Series: series}},
		displayID: "juanji-live-curves-" + gonbui.UniqueId(),
		fileName:  nextName("live-curves"),
	}
}

// NewLivePanels creates a live picture of several charts side by side
// (e.g. TrainingPanels: loss, then accuracies). Nothing is shown until the
// first UpdatePanels.
func NewLivePanels() *LiveCurves {
	l := NewLiveCurves("", "")
	l.panels = nil
	return l
}

// Append adds one value to each series of the first chart, in the order of
// the names given to NewLiveCurves, and redraws it.
func (l *LiveCurves) Append(values ...float64) error {
	if len(l.panels) == 0 || len(values) != len(l.panels[0].Series) {
		return fmt.Errorf("show.LiveCurves.Append: got %d values for %d series", len(values), len(l.Series()))
	}
	for i, v := range values {
		l.panels[0].Series[i].Values = append(l.panels[0].Series[i].Values, v)
	}
	return l.redraw()
}

// Update replaces all the series of the first chart by the given ones and
// redraws it, e.g. with the history a training loop keeps.
func (l *LiveCurves) Update(series ...Series) error {
	if len(l.panels) == 0 {
		l.panels = []Panel{{}}
	}
	l.panels[0].Series = series
	return l.redraw()
}

// UpdatePanels replaces the charts by the given ones and redraws them.
func (l *LiveCurves) UpdatePanels(panels ...Panel) error {
	l.panels = panels
	return l.redraw()
}

// Series returns the curves of the first chart drawn so far.
func (l *LiveCurves) Series() []Series {
	if len(l.panels) == 0 {
		return nil
	}
	return l.panels[0].Series
}

func (l *LiveCurves) redraw() error {
	pngData, err := CurvesPNG(l.panels...)
	if err != nil {
		return fmt.Errorf("show.LiveCurves: %w", err)
	}
	paths, err := present(picture{name: l.fileName, png: pngData}, l.displayID)
	if err != nil {
		return fmt.Errorf("show.LiveCurves: %w", err)
	}
	if !l.reported && len(paths) > 0 {
		fmt.Println("live curves in", paths[0])
		l.reported = true
	}
	return nil
}
