package train

import (
	stdcontext "context"
	"errors"
	"fmt"
	"io"
	"iter"
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

// Batches is what Fit trains and evaluates on: anything that yields batches, such as a
// *data.Loader, or a slice of pre-made batches in a test.
type Batches interface {
	// All yields the batches of one pass: images [B,C,H,W] float32 and labels [B] int32. Fit
	// finalizes each tensor once it is used, so All must yield new tensors on every pass.
	All() iter.Seq2[*tensors.Tensor, *tensors.Tensor]
	// Len is how many batches All yields (for the progress line).
	Len() int
}

// given reports whether b is a source of batches: not nil, nor a nil *data.Loader.
func given(b Batches) bool {
	if l, ok := b.(*data.Loader); ok {
		return l != nil
	}
	return b != nil
}

// FitConfig says how to train.
type FitConfig struct {
	Epochs int
	Train  Batches // a *data.Loader, usually
	Test   Batches // optional
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
	if !given(cfg.Train) {
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
		if given(cfg.Test) {
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
func (t *Trainer) evaluateLoader(ctx stdcontext.Context, loader Batches) (loss, acc float64, err error) {
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
