package train

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/juanji/juanji/pkg/nn"
	"github.com/juanji/juanji/pkg/nn/functional"
)

// SGD is torch.optim.SGD(params, lr, momentum, weight_decay): with momentum m the update is
// buf = m·buf + (grad + weight_decay·w); w -= lr·buf (no dampening, as PyTorch's default).
type SGD struct {
	LR, Momentum, WeightDecay float64
}

// String reads like PyTorch's constructor call.
func (o SGD) String() string {
	return fmt.Sprintf("SGD(lr=%g, momentum=%g, weight_decay=%g)", o.LR, o.Momentum, o.WeightDecay)
}

// optimizerScope holds the optimizer's own variables (learning rate, momentum buffers).
const optimizerScope = "/optimizer"

// Trainer owns a model's variables on one backend and the compiled graphs that train,
// evaluate and predict with it. Each graph is compiled once per input shape.
type Trainer struct {
	Backend backends.Backend
	Ctx     *context.Context
	Model   nn.Layer
	Opt     SGD
	// Shards, when > 0, forces how many parallel shards each training batch is cut into
	// (1 disables sharding). Zero picks automatically; see shardedLoss.
	Shards int

	trainExec, evalExec, evalTrainingExec, predictExec *context.Exec
}

// NewTrainer prepares model for training with opt on backend. The seed fixes the initial
// weights and every random draw of the model (dropout), so a run can be repeated exactly.
func NewTrainer(backend backends.Backend, model nn.Layer, opt SGD, seed int64) *Trainer {
	// Unchecked: the training, evaluation and prediction graphs share the same variables,
	// whichever is built first creates them.
	ctx := context.New().Checked(false)
	ctx.SetParam(initializers.ParamInitialSeed, seed)
	return &Trainer{Backend: backend, Ctx: ctx, Model: model, Opt: opt}
}

// trainableVariables lists the model's trainable variables used by graph g, in a fixed order.
func trainableVariables(ctx *context.Context, g *graph.Graph) []*context.Variable {
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	return vars
}

// stepGraph builds one SGD step: forward in training mode, loss, gradients, update.
// It returns the mean loss and the number of correct predictions of the batch, both computed
// on the forward pass before the update.
func (t *Trainer) stepGraph(ctx *context.Context, x, y *graph.Node) (*graph.Node, *graph.Node) {
	g := x.Graph()
	ctx.SetTraining(g, true)
	loss, correct := t.shardedLoss(ctx, x, y)

	vars := trainableVariables(ctx, g)
	values := make([]*graph.Node, len(vars))
	for i, v := range vars {
		values[i] = v.ValueGraph(g)
	}
	grads := graph.Gradient(loss, values...)
	optCtx := ctx.InAbsPath(optimizerScope).Checked(false)
	lr := optCtx.VariableWithValue("lr", t.Opt.LR).SetTrainable(false)
	lrNode := graph.ConvertDType(lr.ValueGraph(g), loss.DType())
	for i, v := range vars {
		grad := grads[i]
		if t.Opt.WeightDecay != 0 {
			grad = graph.Add(grad, graph.MulScalar(values[i], t.Opt.WeightDecay))
		}
		if t.Opt.Momentum != 0 {
			buf := ctx.InAbsPath(optimizerScope+"/momentum"+v.Scope()).Checked(false).
				WithInitializer(initializers.Zero).VariableWithShape(v.Name(), v.Shape()).SetTrainable(false)
			next := graph.Add(graph.MulScalar(buf.ValueGraph(g), t.Opt.Momentum), grad)
			buf.SetValueGraph(next)
			grad = next
		}
		v.SetValueGraph(graph.Sub(values[i], graph.Mul(lrNode, grad)))
	}
	return loss, correct
}

// shardedLoss computes the batch's mean loss and correct count. On the pure-Go backend the
// batch is cut into independent shards (one per core) whose forward and backward passes form
// separate chains in the graph, which the engine runs in parallel; the mean over equal shards
// is the mean over the batch, so the step is unchanged. Models with batch normalization are
// never sharded: their statistics must cover the whole batch, as in PyTorch.
func (t *Trainer) shardedLoss(ctx *context.Context, x, y *graph.Node) (loss, correct *graph.Node) {
	b := x.Shape().Dimensions[0]
	shards := t.shards(b)
	if shards <= 1 {
		logits := t.Model.Forward(ctx, x)
		return CrossEntropy(logits, y), Correct(logits, y)
	}
	size := b / shards
	for s := range shards {
		xs := graph.SliceAxis(x, 0, graph.AxisRange(s*size, (s+1)*size))
		ys := graph.SliceAxis(y, 0, graph.AxisRange(s*size, (s+1)*size))
		c := ctx
		if s > 0 {
			c = ctx.Reuse()
		}
		logits := t.Model.Forward(c, xs)
		l, k := CrossEntropy(logits, ys), Correct(logits, ys)
		if s == 0 {
			loss, correct = l, k
		} else {
			loss, correct = graph.Add(loss, l), graph.Add(correct, k)
		}
	}
	return graph.DivScalar(loss, float64(shards)), correct
}

// shards returns how many parallel shards a batch of b examples is cut into.
func (t *Trainer) shards(b int) int {
	if t.Shards > 0 {
		if b%t.Shards == 0 {
			return t.Shards
		}
		return 1
	}
	if functional.BackendImpl(t.Backend) != functional.Portable || hasBatchNorm(t.Model) {
		return 1
	}
	n := runtime.NumCPU()
	for n > 1 && (b%n != 0 || b/n < 8) {
		n--
	}
	return n
}

// hasBatchNorm reports whether a model contains a batch-norm layer.
func hasBatchNorm(model nn.Layer) bool {
	found := false
	nn.Apply(model, func(l nn.Layer) {
		if _, ok := l.(*nn.BatchNormLayer); ok {
			found = true
		}
	})
	return found
}

// SetLR changes the learning rate without recompiling.
func (t *Trainer) SetLR(lr float64) error {
	t.Opt.LR = lr
	v := t.Ctx.InAbsPath(optimizerScope).GetVariable("lr")
	if v == nil {
		return nil // not created yet: the first step uses t.Opt.LR.
	}
	return v.SetValue(tensors.FromValue(lr))
}

// compiled returns the graph in *exec, compiling fn into it on first use (GoMLX then compiles
// it again for each new input shape). what names the graph in errors.
func compiled[F context.ExecGraphFn](t *Trainer, exec **context.Exec, what string, fn F) (*context.Exec, error) {
	if *exec == nil {
		e, err := context.NewExec(t.Backend, t.Ctx, fn)
		if err != nil {
			return nil, fmt.Errorf("train: compiling %s: %w", what, err)
		}
		*exec = e
	}
	return *exec, nil
}

// lossAndCorrectFn builds a graph from a batch (x, y) to its mean loss and correct count.
type lossAndCorrectFn = func(ctx *context.Context, x, y *graph.Node) (*graph.Node, *graph.Node)

// lossAndCorrectGraph runs the model on x (in training mode if training: batch norm uses the
// batch's statistics, dropout drops) and returns the mean loss and the correct count against y.
// Nothing is learned.
func (t *Trainer) lossAndCorrectGraph(training bool) lossAndCorrectFn {
	return func(ctx *context.Context, x, y *graph.Node) (*graph.Node, *graph.Node) {
		if training {
			ctx.SetTraining(x.Graph(), true)
		}
		logits := t.Model.Forward(ctx, x)
		return CrossEntropy(logits, y), Correct(logits, y)
	}
}

// Step trains on one batch: images [B,C,H,W] float32, labels [B] int32. It returns the
// batch's mean loss and how many of its examples the model got right before the update.
func (t *Trainer) Step(images, labels *tensors.Tensor) (loss float64, correct int, err error) {
	return t.runLossAndCorrect(&t.trainExec, "training step", t.stepGraph, images, labels)
}

// Evaluate runs the model in evaluation mode (batch norm uses its running statistics) and
// returns the batch's mean loss and its number of correct predictions.
func (t *Trainer) Evaluate(images, labels *tensors.Tensor) (loss float64, correct int, err error) {
	return t.runLossAndCorrect(&t.evalExec, "evaluation", t.lossAndCorrectGraph(false), images, labels)
}

// EvaluateInTrainingMode is Evaluate with the model in training mode, as calling net(X) after
// net.train() does in PyTorch: batch norm normalizes with the batch's statistics (and updates
// its running averages), dropout drops. Nothing is learned. The document's TrashNet loop
// measures its training accuracy this way, right after each update.
func (t *Trainer) EvaluateInTrainingMode(images, labels *tensors.Tensor) (loss float64, correct int, err error) {
	return t.runLossAndCorrect(&t.evalTrainingExec, "evaluation in training mode", t.lossAndCorrectGraph(true), images, labels)
}

// Logits runs the model in evaluation mode and returns its outputs [B, classes].
func (t *Trainer) Logits(images *tensors.Tensor) (*tensors.Tensor, error) {
	exec, err := compiled(t, &t.predictExec, "prediction", func(ctx *context.Context, x *graph.Node) *graph.Node {
		return t.Model.Forward(ctx, x)
	})
	if err != nil {
		return nil, err
	}
	out, err := exec.Exec(images)
	if err != nil {
		return nil, fmt.Errorf("train: predicting on %s: %w", images.Shape(), err)
	}
	return out[0], nil
}

// Predict returns the predicted class of each image (the argmax of the logits), like the
// document's y_hat.max(axis=1)[1].
func (t *Trainer) Predict(images *tensors.Tensor) ([]int32, error) {
	logits, err := t.Logits(images)
	if err != nil {
		return nil, err
	}
	defer logits.FinalizeAll()
	dims := logits.Shape().Dimensions
	preds := make([]int32, dims[0])
	tensors.MustConstFlatData(logits, func(flat []float32) {
		for i := range preds {
			row := flat[i*dims[1] : (i+1)*dims[1]]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			preds[i] = int32(best)
		}
	})
	return preds, nil
}

// runLossAndCorrect runs the graph of fn (compiled into *slot on first use) on one batch and
// returns its two outputs: the mean loss and the correct count.
func (t *Trainer) runLossAndCorrect(slot **context.Exec, what string, fn lossAndCorrectFn, images, labels *tensors.Tensor) (float64, int, error) {
	if images == nil || labels == nil {
		return 0, 0, errors.New("train: " + what + ": nil batch")
	}
	exec, err := compiled(t, slot, what, fn)
	if err != nil {
		return 0, 0, err
	}
	out, err := exec.Exec(images, labels)
	if err != nil {
		return 0, 0, fmt.Errorf("train: %s on images %s, labels %s: %w", what, images.Shape(), labels.Shape(), err)
	}
	loss := float64(tensors.ToScalar[float32](out[0]))
	correct := int(tensors.ToScalar[int32](out[1]))
	out[0].FinalizeAll()
	out[1].FinalizeAll()
	return loss, correct, nil
}
