package gocpu

import (
	"fmt"
	"os"
	"reflect"

	"github.com/gomlx/gomlx/backends"
)

// foreignCall is one call of a Builder method that the fast path does not
// compute (a random-bits generator, a gather, an op of an unsupported
// dtype). A graph that otherwise runs on the fast path runs such a call on
// simplego alone: its operands are copied into simplego buffers, a one-op
// simplego executable (built once, at compile time) runs, and its results
// are copied back.
type foreignCall struct {
	kind    backends.OpType
	replay  replayFn
	inputs  []*node
	groups  []int // how many of inputs each operand group of the method has
	results []*node
}

// groupSizes returns the length of each operand group.
func groupSizes(groups [][]backends.Op) []int {
	sizes := make([]int, len(groups))
	for i, g := range groups {
		sizes[i] = len(g)
	}
	return sizes
}

// foreignStep compiles call on simplego and returns the step that runs it.
func foreignStep(engine *Backend, call *foreignCall, p *plan) (step, error) {
	if call.replay == nil {
		return nil, fmt.Errorf("%s cannot be rebuilt", call.kind)
	}
	bb := engine.Backend.Builder("gocpu-" + call.kind.String())
	params := make([]backends.Op, len(call.inputs))
	for i, in := range call.inputs {
		prm, err := bb.Parameter(fmt.Sprintf("x%d", i), in.shape, nil)
		if err != nil {
			return nil, err
		}
		params[i] = prm
	}
	grouped := make([][]backends.Op, len(call.groups))
	at := 0
	for g, size := range call.groups {
		grouped[g] = params[at : at+size]
		at += size
	}
	outs, err := call.replay(bb, grouped)
	if err != nil {
		return nil, fmt.Errorf("rebuilding %s on simplego: %w", call.kind, err)
	}
	exec, err := bb.Compile(outs, nil)
	if err != nil {
		return nil, fmt.Errorf("compiling %s on simplego: %w", call.kind, err)
	}
	if os.Getenv(EnvTrace) != "" {
		fmt.Fprintf(os.Stderr, "gocpu: %s of %s runs on simplego\n", call.kind, call.results[0].shape)
	}
	inSlots := make([]int, len(call.inputs))
	for i, in := range call.inputs {
		inSlots[i] = p.slotOf[in]
	}
	outSlots := make([]int, len(call.results))
	for i, r := range call.results {
		outSlots[i] = p.slotOf[r]
	}
	donate := make([]bool, len(call.inputs))
	for i := range donate {
		donate[i] = true
	}
	return func(st *state) {
		bufs := make([]backends.Buffer, len(inSlots))
		for i, s := range inSlots {
			buf, err := engine.BufferFromFlatData(0, st.vals[s], call.inputs[i].shape)
			if err != nil {
				panic(fmt.Errorf("gocpu: %s on simplego, operand #%d: %w", call.kind, i, err))
			}
			bufs[i] = buf
		}
		res, err := exec.Execute(bufs, donate, 0)
		if err != nil {
			panic(fmt.Errorf("gocpu: %s on simplego: %w", call.kind, err))
		}
		for i, r := range res {
			flat, err := engine.BufferData(r)
			if err != nil {
				panic(fmt.Errorf("gocpu: %s on simplego, result #%d: %w", call.kind, i, err))
			}
			reflect.Copy(reflect.ValueOf(st.vals[outSlots[i]]), reflect.ValueOf(flat))
			_ = engine.BufferFinalize(r)
		}
	}, nil
}
