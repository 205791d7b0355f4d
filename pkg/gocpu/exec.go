package gocpu

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Executable is a graph compiled for the fast path.
type Executable struct {
	engine       *Backend
	name         string
	plan         *plan
	steps        []step
	inputNames   []string
	inputShapes  []shapes.Shape
	outputShapes []shapes.Shape
	outputSlots  []int

	mu    sync.Mutex
	spare []*state // states ready for reuse, so that steps allocate nothing

	prof *profile // non-nil when EnvProfile is set
}

// EnvProfile names the environment variable that, when set to a number N,
// makes each executable print to standard error, after its N-th execution,
// where its time went, by op and shape.
const EnvProfile = "JUANJI_GOCPU_PROFILE"

// profile accumulates the time of each step.
type profile struct {
	after  int
	labels []string
	mu     sync.Mutex
	times  []time.Duration
	runs   int
}

// report prints the steps' time, grouped by label, largest first.
func (p *profile) report(name string) {
	byLabel := map[string]time.Duration{}
	var total time.Duration
	for i, d := range p.times {
		byLabel[p.labels[i]] += d
		total += d
	}
	labels := make([]string, 0, len(byLabel))
	for l := range byLabel {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool { return byLabel[labels[i]] > byLabel[labels[j]] })
	fmt.Fprintf(os.Stderr, "gocpu profile of %q over %d runs: %v per run\n", name, p.runs, total/time.Duration(p.runs))
	for i, l := range labels {
		if i == 25 {
			break
		}
		fmt.Fprintf(os.Stderr, "  %5.1f%%  %8v  %s\n", 100*float64(byLabel[l])/float64(total), byLabel[l]/time.Duration(p.runs), l)
	}
}

var _ backends.Executable = (*Executable)(nil)

// state is the storage of one execution: a value per slot and per temp.
// Executions running at the same time each have their own.
type state struct {
	vals  []any
	temps []any
}

// Finalize implements backends.Executable.
func (e *Executable) Finalize() {
	e.mu.Lock()
	e.spare = nil
	e.mu.Unlock()
}

// Inputs implements backends.Executable.
func (e *Executable) Inputs() ([]string, []shapes.Shape) { return e.inputNames, e.inputShapes }

// Outputs implements backends.Executable.
func (e *Executable) Outputs() []shapes.Shape { return e.outputShapes }

// Execute implements backends.Executable.
func (e *Executable) Execute(inputs []backends.Buffer, donate []bool, _ backends.DeviceNum) ([]backends.Buffer, error) {
	if len(inputs) != len(e.inputShapes) {
		return nil, fmt.Errorf("gocpu: executable %q takes %d inputs, got %d", e.name, len(e.inputShapes), len(inputs))
	}
	st := e.getState()
	defer e.putState(st)
	for i, s := range e.plan.slots {
		if s.kind != slotInput {
			continue
		}
		buf := inputs[s.param]
		shape, err := e.engine.BufferShape(buf)
		if err != nil {
			return nil, fmt.Errorf("gocpu: executable %q, input #%d: %w", e.name, s.param, err)
		}
		if !shape.Equal(e.inputShapes[s.param]) {
			return nil, fmt.Errorf("gocpu: executable %q, input #%d: shape %s, want %s", e.name, s.param, shape, e.inputShapes[s.param])
		}
		flat, err := e.engine.BufferData(buf)
		if err != nil {
			return nil, fmt.Errorf("gocpu: executable %q, input #%d: %w", e.name, s.param, err)
		}
		st.vals[i] = flat
	}
	if err := e.run(st); err != nil {
		return nil, err
	}
	// Outputs: copied into the donated inputs of the same shape where there
	// are some (all reads are done by now), else into new buffers.
	used := make([]bool, len(inputs))
	for _, sl := range e.outputSlots {
		// An output that is an input itself reads that input's buffer: it
		// must not be overwritten by another output first.
		if s := e.plan.slots[sl]; s.kind == slotInput {
			used[s.param] = true
		}
	}
	outs := make([]backends.Buffer, len(e.outputSlots))
	for o, sl := range e.outputSlots {
		var buf backends.Buffer
		for i := range inputs {
			if i < len(donate) && donate[i] && !used[i] && e.inputShapes[i].Equal(e.outputShapes[o]) {
				used[i], buf = true, inputs[i]
				break
			}
		}
		if buf == nil {
			b, _, err := e.engine.NewSharedBuffer(0, e.outputShapes[o])
			if err != nil {
				return nil, fmt.Errorf("gocpu: executable %q, output #%d: %w", e.name, o, err)
			}
			buf = b
		}
		dst, err := e.engine.BufferData(buf)
		if err != nil {
			return nil, err
		}
		reflect.Copy(reflect.ValueOf(dst), reflect.ValueOf(st.vals[sl]))
		outs[o] = buf
	}
	for i := range inputs {
		if i < len(donate) && donate[i] && !used[i] {
			_ = e.engine.BufferFinalize(inputs[i])
		}
	}
	for i, s := range e.plan.slots {
		if s.kind == slotInput {
			st.vals[i] = nil // do not keep the caller's buffers alive
		}
	}
	return outs, nil
}

// run runs the steps; a step that fails (an op run on simplego) panics
// with an error, returned here.
func (e *Executable) run(st *state) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if re, ok := r.(error); ok {
				err = fmt.Errorf("gocpu: executable %q: %w", e.name, re)
				return
			}
			panic(r)
		}
	}()
	if p := e.prof; p != nil {
		times := make([]time.Duration, len(e.steps))
		for i, s := range e.steps {
			t0 := time.Now()
			s(st)
			times[i] = time.Since(t0)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.times == nil {
			p.times = make([]time.Duration, len(times))
		}
		for i, d := range times {
			p.times[i] += d
		}
		if p.runs++; p.runs == p.after {
			p.report(e.name)
		}
		return nil
	}
	for _, s := range e.steps {
		s(st)
	}
	return nil
}

// getState returns a state to execute with: a spare one or a new one.
func (e *Executable) getState() *state {
	e.mu.Lock()
	if n := len(e.spare); n > 0 {
		st := e.spare[n-1]
		e.spare = e.spare[:n-1]
		e.mu.Unlock()
		return st
	}
	e.mu.Unlock()
	st := &state{vals: make([]any, len(e.plan.slots)), temps: make([]any, len(e.plan.temps))}
	for i, s := range e.plan.slots {
		switch s.kind {
		case slotComputed:
			st.vals[i] = makeSlice(s.dtype, s.size)
		case slotConstant:
			st.vals[i] = s.value
		}
	}
	for i, s := range e.plan.temps {
		st.temps[i] = makeSlice(s.dtype, s.size)
	}
	return st
}

// putState keeps st for the next execution.
func (e *Executable) putState(st *state) {
	e.mu.Lock()
	e.spare = append(e.spare, st)
	e.mu.Unlock()
}

// makeSlice returns a new []T of n elements for dtype.
func makeSlice(dtype dtypes.DType, n int) any {
	switch dtype {
	case dtypes.Float32:
		return make([]float32, n)
	case dtypes.Float64:
		return make([]float64, n)
	case dtypes.Int32:
		return make([]int32, n)
	case dtypes.Int64:
		return make([]int64, n)
	case dtypes.Uint8:
		return make([]uint8, n)
	case dtypes.Bool:
		return make([]bool, n)
	}
	// Other dtypes are only stored (and computed on simplego).
	return reflect.MakeSlice(reflect.SliceOf(dtype.GoType()), n, n).Interface()
}
