package train

import (
	stdcontext "context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/juanji/juanji/pkg/data"
	"github.com/juanji/juanji/pkg/device"
	"github.com/juanji/juanji/pkg/show"
	"github.com/juanji/juanji/pkg/tensorboard"
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

// FitConfig says how to train.
type FitConfig struct {
	Epochs int
	Train  *data.Loader
	Test   *data.Loader // optional
	// EvalTrain re-evaluates the whole training set in evaluation mode after each epoch, as the
	// document's LeNet loop does; the epoch's loss and train accuracy come from that pass.
	// Without it (d2l's way, and cheaper) they are averaged over the epoch's training steps,
	// each measured on its batch before the update.
	EvalTrain bool
	// Out receives one line per epoch (default os.Stdout), which names the device the trainer's
	// backend computes on; Progress, if set, a progress line during each epoch (see
	// ProgressReporter; show.NewProgressBar makes one).
	Out      io.Writer
	Progress ProgressReporter
	// Live draws the loss and the accuracies after each epoch, in place, under the cell (d2l's
	// Animator), titled Title; outside a notebook it rewrites one PNG file (see show.LiveCurves).
	Live  bool
	Title string
	// OnEpoch, if set, is called after each epoch with the history so far (live plots).
	OnEpoch func(h *History)
	// TensorBoard, if set, receives the per-epoch scalars (loss, train/accuracy,
	// test/accuracy, test/loss), the document's SummaryWriter.
	TensorBoard *tensorboard.Writer
}

// ProgressReporter is told of progress within an epoch, step by step (show.ProgressBar is one).
type ProgressReporter interface {
	Update(epoch, step, steps int, imagesPerSec float64)
	Done()
}

// ErrInterrupted is returned (wrapped) when training stopped on an interrupt; the history
// returned with it holds every completed epoch.
var ErrInterrupted = errors.New("training interrupted")

// NonFiniteLossError reports a NaN or infinite loss, naming where it happened.
type NonFiniteLossError struct {
	Epoch, Step int
	Loss        float64
	LR          float64
}

// Error implements error.
func (e *NonFiniteLossError) Error() string {
	return fmt.Sprintf("train: loss is %v at epoch %d, step %d: training stopped. Usual causes: the learning "+
		"rate (%g) is too high, inputs are not normalized, or the weights were initialized too large", e.Loss, e.Epoch, e.Step, e.LR)
}

// Fit trains for cfg.Epochs epochs and returns the history. It prints one line per epoch,
// like the document's loop:
//
//	epoch 1/16: loss 2.3035 train data accuracy 0.0986 test data accuracy 0.0958 | 12.3 s, 5100.3 examples/sec on cpu
//
// An interrupt (Ctrl-C, or GoNB's stop button) or the cancellation of parent ends training
// after the current step; Fit then returns the completed epochs with ErrInterrupted. A NaN or
// infinite loss stops training at once with a *NonFiniteLossError.
func (t *Trainer) Fit(parent stdcontext.Context, cfg FitConfig) (*History, error) {
	if cfg.Train == nil {
		return nil, errors.New("train: Fit needs a training loader")
	}
	out := cfg.Out
	if out == nil {
		out = os.Stdout
	}
	if parent == nil {
		parent = stdcontext.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt)
	defer stop()

	h := &History{}
	dev := device.Describe(t.Backend).Name
	var live *show.LiveCurves
	if cfg.Live {
		live = show.NewLivePanels()
	}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		stats, err := t.trainEpoch(ctx, cfg, epoch)
		if err != nil {
			return h, err
		}
		if cfg.EvalTrain {
			stats.Loss, stats.TrainAcc, err = t.evaluateLoader(ctx, cfg.Train)
			if err != nil {
				return h, err
			}
		}
		stats.TestAcc, stats.TestLoss = math.NaN(), math.NaN()
		if cfg.Test != nil {
			stats.TestLoss, stats.TestAcc, err = t.evaluateLoader(ctx, cfg.Test)
			if err != nil {
				return h, err
			}
		}
		h.Epochs = append(h.Epochs, stats)
		fmt.Fprintln(out, FormatEpoch(stats, cfg.Epochs, dev))
		if err := writeScalars(cfg.TensorBoard, stats); err != nil {
			return h, err
		}
		if live != nil {
			if err := live.UpdatePanels(h.Panels(cfg.Title)...); err != nil {
				fmt.Fprintln(os.Stderr, "train: live curves:", err) // a picture is not worth stopping for
			}
		}
		if cfg.OnEpoch != nil {
			cfg.OnEpoch(h)
		}
	}
	return h, nil
}

// writeScalars records one epoch in TensorBoard (nothing when w is nil).
func writeScalars(w *tensorboard.Writer, s EpochStats) error {
	if w == nil {
		return nil
	}
	scalars := []struct {
		tag   string
		value float64
	}{{"train/loss", s.Loss}, {"train/accuracy", s.TrainAcc}, {"test/loss", s.TestLoss}, {"test/accuracy", s.TestAcc}, {"train/images_per_sec", s.ImagesPerSec}}
	for _, sc := range scalars {
		if math.IsNaN(sc.value) {
			continue
		}
		if err := w.AddScalar(sc.tag, sc.value, int64(s.Epoch)); err != nil {
			return fmt.Errorf("train: writing TensorBoard scalars: %w", err)
		}
	}
	return w.Flush()
}

// FormatEpoch is the per-epoch line Fit prints; device names where it ran ("cpu", "cuda:0").
func FormatEpoch(s EpochStats, epochs int, device string) string {
	line := fmt.Sprintf("epoch %d/%d: loss %.4f train data accuracy %.4f", s.Epoch, epochs, s.Loss, s.TrainAcc)
	if !math.IsNaN(s.TestAcc) {
		line += fmt.Sprintf(" test data accuracy %.4f", s.TestAcc)
	}
	line += fmt.Sprintf(" | %.1f s, %.1f examples/sec", s.Seconds, s.ImagesPerSec)
	if device != "" {
		line += " on " + device
	}
	return line
}

// trainEpoch runs one epoch of training steps.
func (t *Trainer) trainEpoch(ctx stdcontext.Context, cfg FitConfig, epoch int) (EpochStats, error) {
	stats := EpochStats{Epoch: epoch}
	steps := cfg.Train.Len()
	var lossSum float64
	var correct, seen int
	start := time.Now()
	step := 0
	for images, labels := range cfg.Train.All() {
		if ctx.Err() != nil {
			return stats, fmt.Errorf("train: at epoch %d, step %d of %d: %w", epoch, step, steps, ErrInterrupted)
		}
		step++
		loss, c, err := t.Step(images, labels)
		n := images.Shape().Dimensions[0]
		images.FinalizeAll()
		labels.FinalizeAll()
		if err != nil {
			return stats, fmt.Errorf("train: epoch %d, step %d: %w", epoch, step, err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return stats, &NonFiniteLossError{Epoch: epoch, Step: step, Loss: loss, LR: t.Opt.LR}
		}
		lossSum += loss * float64(n)
		correct += c
		seen += n
		if cfg.Progress != nil {
			cfg.Progress.Update(epoch, step, steps, float64(seen)/time.Since(start).Seconds())
		}
	}
	if cfg.Progress != nil {
		cfg.Progress.Done()
	}
	stats.Seconds = time.Since(start).Seconds()
	if seen > 0 {
		stats.Loss = lossSum / float64(seen)
		stats.TrainAcc = float64(correct) / float64(seen)
		stats.ImagesPerSec = float64(seen) / stats.Seconds
	}
	return stats, nil
}

// evaluateLoader returns the mean loss and the accuracy of the model over a loader, in
// evaluation mode.
func (t *Trainer) evaluateLoader(ctx stdcontext.Context, loader *data.Loader) (loss, acc float64, err error) {
	var lossSum float64
	var correct, seen int
	for images, labels := range loader.All() {
		if ctx.Err() != nil {
			return 0, 0, fmt.Errorf("train: evaluating: %w", ErrInterrupted)
		}
		l, c, err := t.Evaluate(images, labels)
		n := images.Shape().Dimensions[0]
		images.FinalizeAll()
		labels.FinalizeAll()
		if err != nil {
			return 0, 0, err
		}
		lossSum += l * float64(n)
		correct += c
		seen += n
	}
	if seen == 0 {
		return math.NaN(), math.NaN(), nil
	}
	return lossSum / float64(seen), float64(correct) / float64(seen), nil
}

// Accuracy is the document's accuracy(y_hat, y) divided by len(y): the fraction of
// predictions equal to the labels. Both are label lists (use Trainer.Predict for logits).
func Accuracy(predicted, labels []int32) float64 {
	if len(labels) == 0 {
		return math.NaN()
	}
	hits := 0
	for i := range labels {
		if i < len(predicted) && predicted[i] == labels[i] {
			hits++
		}
	}
	return float64(hits) / float64(len(labels))
}

// Labels copies a labels tensor [B] (int32) into a slice.
func Labels(t *tensors.Tensor) []int32 {
	out := make([]int32, t.Shape().Size())
	tensors.MustConstFlatData(t, func(f []int32) { copy(out, f) })
	return out
}
