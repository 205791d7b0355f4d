package train

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// CrossEntropy is nn.CrossEntropyLoss(): the mean over the batch of −log softmax(logits)[label],
// for logits [B, classes] and integer labels [B].
func CrossEntropy(logits, labels *graph.Node) *graph.Node {
	return graph.ReduceAllMean(crossEntropyPerExample(logits, labels))
}

// crossEntropyPerExample returns [B] losses, computed stably as logsumexp(z) − z[label].
func crossEntropyPerExample(logits, labels *graph.Node) *graph.Node {
	g := logits.Graph()
	b, classes := logits.Shape().Dimensions[0], logits.Shape().Dimensions[1]
	shift := graph.StopGradient(graph.ReduceAndKeep(logits, graph.ReduceMax, 1))
	z := graph.Sub(logits, shift)
	logSumExp := graph.Log(graph.ReduceSum(graph.Exp(z), 1))
	oneHot := graph.ConvertDType(graph.Equal(
		graph.Iota(g, shapes.Make(dtypes.Int32, b, classes), 1),
		graph.BroadcastToDims(graph.InsertAxes(graph.ConvertDType(labels, dtypes.Int32), 1), b, classes)),
		logits.DType())
	picked := graph.ReduceSum(graph.Mul(z, oneHot), 1)
	return graph.Sub(logSumExp, picked)
}

// Correct counts the examples whose highest logit is the label, as the document's accuracy
// does before dividing by the batch size. Ties go to the first class, like argmax.
func Correct(logits, labels *graph.Node) *graph.Node {
	predicted := graph.ArgMax(logits, 1, dtypes.Int32)
	hits := graph.Equal(predicted, graph.ConvertDType(labels, dtypes.Int32))
	return graph.ReduceAllSum(graph.ConvertDType(hits, dtypes.Int32))
}
