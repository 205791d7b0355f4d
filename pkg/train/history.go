package train

import (
	"encoding/json"
	"math"

	"github.com/juanji/juanji/pkg/show"
)

// EpochStats are one epoch's figures, as the document prints them.
type EpochStats struct {
	Epoch        int     // 1-based
	Loss         float64 // mean training loss (see FitConfig.EvalTrain for how it is measured)
	TrainAcc     float64 // fraction of training examples classified right, in [0, 1]
	TestAcc      float64 // fraction of test examples classified right; NaN without a test loader
	TestLoss     float64 // mean test loss; NaN without a test loader
	Seconds      float64 // wall time of the epoch's training steps
	ImagesPerSec float64 // training throughput: images per second of training steps
}

// epochStatsJSON is EpochStats with NaN ("not measured", e.g. no test loader) as null, which
// encoding/json cannot write as a number.
type epochStatsJSON struct {
	Epoch        int      `json:"epoch"`
	Loss         *float64 `json:"loss"`
	TrainAcc     *float64 `json:"train_acc"`
	TestAcc      *float64 `json:"test_acc"`
	TestLoss     *float64 `json:"test_loss"`
	Seconds      float64  `json:"seconds"`
	ImagesPerSec float64  `json:"images_per_sec"`
}

func nullable(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func fromNullable(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes NaN figures as null.
func (s EpochStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochStatsJSON{Epoch: s.Epoch, Loss: nullable(s.Loss), TrainAcc: nullable(s.TrainAcc),
		TestAcc: nullable(s.TestAcc), TestLoss: nullable(s.TestLoss), Seconds: s.Seconds, ImagesPerSec: s.ImagesPerSec})
}

// UnmarshalJSON reads null figures back as NaN.
func (s *EpochStats) UnmarshalJSON(b []byte) error {
	var j epochStatsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = EpochStats{Epoch: j.Epoch, Loss: fromNullable(j.Loss), TrainAcc: fromNullable(j.TrainAcc),
		TestAcc: fromNullable(j.TestAcc), TestLoss: fromNullable(j.TestLoss), Seconds: j.Seconds, ImagesPerSec: j.ImagesPerSec}
	return nil
}

// History is the per-epoch record of a run, the document's l_train, a_train and a_test.
type History struct {
	Epochs []EpochStats
}

// Loss returns the per-epoch training losses (for plotting).
func (h *History) Loss() []float64 { return h.column(func(e EpochStats) float64 { return e.Loss }) }

// TrainAcc returns the per-epoch training accuracies.
func (h *History) TrainAcc() []float64 {
	return h.column(func(e EpochStats) float64 { return e.TrainAcc })
}

// TestAcc returns the per-epoch test accuracies.
func (h *History) TestAcc() []float64 {
	return h.column(func(e EpochStats) float64 { return e.TestAcc })
}

func (h *History) column(f func(EpochStats) float64) []float64 {
	out := make([]float64, len(h.Epochs))
	for i, e := range h.Epochs {
		out[i] = f(e)
	}
	return out
}

// Last returns the last completed epoch (zero value if none).
func (h *History) Last() EpochStats {
	if len(h.Epochs) == 0 {
		return EpochStats{}
	}
	return h.Epochs[len(h.Epochs)-1]
}

// Panels are the history's charts: the training loss on its own panel, and the train and
// test accuracies on a second one from 0 to 1 (see show.TrainingPanels).
func (h *History) Panels(title string) []show.Panel {
	return show.TrainingPanels(title, h.Loss(), h.TrainAcc(), h.TestAcc())
}

// Plot shows the history's charts (Panels), like the document's plt.plot of l_train,
// a_train and a_test, with the loss on its own axis.
func (h *History) Plot(title string) {
	show.PlotPanels(h.Panels(title)...)
}
