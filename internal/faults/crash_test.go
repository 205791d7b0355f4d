package faults

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/juanji/juanji/internal/atomicfile"
	"github.com/juanji/juanji/pkg/models"
	"github.com/juanji/juanji/pkg/tensorboard"
	"github.com/juanji/juanji/pkg/train"
	"google.golang.org/protobuf/encoding/protowire"
)

const childStart = "JUANJI_FAULTS_START" // the first number a child uses

// killSeed makes the kill moments reproducible: JUANJI_FAULTS_SEED=<n>.
func killSeed(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("JUANJI_FAULTS_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("kill moments from JUANJI_FAULTS_SEED=%d", seed)
	return rand.New(rand.NewPCG(seed, 7))
}

// running is a child process whose output lines are being read.
type running struct {
	t     *testing.T
	cmd   interface{ Wait() error }
	kill  func()
	lines <-chan string
}

// startChild starts a child and reads its standard output.
func startChild(t *testing.T, mode string, env ...string) *running {
	t.Helper()
	cmd := child(t, mode, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("child stderr:\n%s", stderr.String())
		}
	})
	return &running{t: t, cmd: cmd, kill: func() { cmd.Process.Signal(syscall.SIGKILL) }, lines: lines(out)}
}

// waitFor reads lines until one starts with prefix, calling seen on each
// "<word> <n>" line; it fails the test after limit.
func (r *running) waitFor(prefix string, limit time.Duration, seen func(string)) string {
	r.t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				r.kill()
				r.cmd.Wait()
				r.t.Fatalf("the child ended before printing %q", prefix)
			}
			seen(l)
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			r.kill()
			r.cmd.Wait()
			r.t.Fatalf("the child did not print %q within %v", prefix, limit)
		}
	}
}

// killAfter lets the child run for d (reading its lines), kills it, waits
// for it, and reads what it printed before dying.
func (r *running) killAfter(d time.Duration, seen func(string)) {
	deadline := time.After(d)
	for done := false; !done; {
		select {
		case l, ok := <-r.lines:
			if ok {
				seen(l)
			}
		case <-deadline:
			done = true
		}
	}
	r.kill()
	r.cmd.Wait()
	for l := range r.lines {
		seen(l)
	}
}

// number parses the n of a "<word> <n>" line.
func number(line, word string) (int, bool) {
	s, ok := strings.CutPrefix(line, word+" ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// pattern is the value checkpoint k gives element i of a variable.
func pattern(k int, name string, i int) float32 {
	h := 0
	for _, c := range name {
		h = h*31 + int(c)
	}
	return float32((k*7919+i*31+h)%2003)/2003*0.2 - 0.1
}

// setPattern sets every variable of the trainer to checkpoint k's values.
func setPattern(tr *train.Trainer, k int) error {
	for v := range tr.Ctx.IterVariables() {
		dims := v.Shape().Dimensions
		n := v.Shape().Size()
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = pattern(k, v.ScopeAndName(), i)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, dims...)); err != nil {
			return err
		}
	}
	return nil
}

// checkPattern compares every variable of the trainer with checkpoint k's
// values and says how many differ.
func checkPattern(tr *train.Trainer, k int) (vars, wrong int, err error) {
	for v := range tr.Ctx.IterVariables() {
		value, err := v.Value()
		if err != nil {
			return vars, wrong, err
		}
		vars++
		name := v.ScopeAndName()
		tensors.MustConstFlatData(value, func(f []float32) {
			for i, x := range f {
				if x != pattern(k, name, i) {
					wrong++
				}
			}
		})
	}
	return vars, wrong, nil
}

// probeImages is a fixed batch the logits are compared on.
func probeImages() *tensors.Tensor {
	vals := make([]float32, 4*28*28)
	for i := range vals {
		vals[i] = float32(i%251) / 251
	}
	return tensors.FromFlatDataAndDimensions(vals, 4, 1, 28, 28)
}

// childSaveCheckpoints saves LeNet checkpoints k = start, start+1, ... to
// dir/model.ckpt as fast as it can, printing "saved k" after each, until it
// is killed.
func childSaveCheckpoints(dir string) error {
	start, err := strconv.Atoi(os.Getenv(childStart))
	if err != nil {
		return err
	}
	tr := train.NewTrainer(backend(), models.LeNet(), train.SGD{LR: 0.1}, 1)
	if _, err := tr.Logits(probeImages()); err != nil { // creates the variables
		return err
	}
	path := filepath.Join(dir, "model.ckpt")
	fmt.Println("ready")
	for k := start; ; k++ {
		if err := setPattern(tr, k); err != nil {
			return err
		}
		h := &train.History{Epochs: []train.EpochStats{{Epoch: k, Loss: float64(k)}}}
		if err := tr.Save(path, h); err != nil {
			return err
		}
		fmt.Println("saved", k)
	}
}

// TestKilledWhileSavingCheckpoint: a child saves checkpoints in a loop and is
// killed at random moments; each time, Load gives the last checkpoint the
// child finished (or the one it was finishing), with exactly its values and
// logits, never an error or other values.
func TestKilledWhileSavingCheckpoint(t *testing.T) {
	t.Parallel()
	rng := killSeed(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "model.ckpt")
	// loaded receives each checkpoint; reference gets the expected values
	// set directly, to compare logits.
	loaded := train.NewTrainer(backend(), models.LeNet(), train.SGD{LR: 0.1}, 5)
	reference := train.NewTrainer(backend(), models.LeNet(), train.SGD{LR: 0.1}, 6)
	probe := probeImages()
	if _, err := reference.Logits(probe); err != nil {
		t.Fatal(err)
	}
	known := -1 // the last checkpoint a child reported saved
	const rounds = 10
	for round := 1; round <= rounds; round++ {
		fault(t, fmt.Sprintf("SIGKILL %d of %d while saving", round, rounds), func(t *testing.T) {
			start := round * 100_000
			r := startChild(t, "checkpoint", childRoot+"="+dir, childStart+"="+strconv.Itoa(start))
			last := -1
			seen := func(l string) {
				if k, ok := number(l, "saved"); ok {
					last = k
				}
			}
			prefix := "ready"
			if known < 0 {
				prefix = "saved" // the first round must leave a checkpoint
			}
			r.waitFor(prefix, 60*time.Second, seen)
			d := time.Duration(rng.IntN(60_000)) * time.Microsecond
			r.killAfter(d, seen)

			// Which checkpoints the file may hold: the last one reported, or
			// the one being saved when the kill came (renamed, not yet reported).
			allowed := []int{known, start}
			if last >= 0 {
				allowed = []int{last, last + 1}
			}
			temps, _ := filepath.Glob(atomicfile.TempGlob(path))
			h, err := loaded.Load(path)
			if errors.Is(err, train.ErrCorruptCheckpoint) {
				corrupt(t, "after a kill %v in (last saved %d): %v", d, last, err)
				return
			}
			if err != nil {
				t.Fatalf("after a kill %v in: the checkpoint is lost: %v", d, err)
			}
			k := h.Last().Epoch
			t.Logf("killed %v after start: last reported %d, file holds %d; %d temporary files left", d, last, k, len(temps))
			if !slices.Contains(allowed, k) {
				t.Errorf("the file holds checkpoint %d, want one of %v", k, allowed)
			}
			known = max(k, allowed[0])
			if vars, wrong, err := checkPattern(loaded, k); err != nil || wrong > 0 || vars == 0 {
				corrupt(t, "checkpoint %d loads %d wrong values in %d variables (%v)", k, wrong, vars, err)
			}
			if err := setPattern(reference, k); err != nil {
				t.Fatal(err)
			}
			want, err1 := reference.Logits(probe)
			got, err2 := loaded.Logits(probe)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !slices.Equal(flat(got), flat(want)) {
				corrupt(t, "checkpoint %d: logits differ from the saved model's", k)
			}
		})
	}
}

// tbValue is the scalar an event-writing child writes at step s.
func tbValue(s int) float32 { return float32(math.Sin(float64(s)/10)) * float32(s%97) }

// childWriteEvents writes "loss/train" scalars at steps 1, 2, ... to a new
// event file in dir until it is killed. It prints "ready <path>", then
// "wrote <step>" every 100 steps. With JUANJI_FAULTS_START=-1 it never
// flushes (the buffer goes out when full, cutting records anywhere);
// otherwise it flushes after every scalar.
func childWriteEvents(dir string) error {
	w, err := tensorboard.NewWriter(dir)
	if err != nil {
		return err
	}
	buffered := os.Getenv(childStart) == "-1"
	if buffered {
		w.SetFlushInterval(-1)
	} else {
		w.SetFlushInterval(0)
	}
	fmt.Println("ready " + w.Path())
	for s := 1; ; s++ {
		if err := w.AddScalar("loss/train", float64(tbValue(s)), int64(s)); err != nil {
			return err
		}
		if s%100 == 0 {
			fmt.Println("wrote", s)
		}
	}
}

// tbEvent is a decoded Event: a file version or a scalar.
type tbEvent struct {
	step        int64
	fileVersion string
	tag         string
	value       float32
	hasValue    bool
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func tfrecordCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// readEvents reads a TFRecord event file the way TensorBoard does: records
// until the end, stopping cleanly (truncated = true) at a tail too short
// for a whole record; a checksum that does not match is an error.
func readEvents(b []byte) (events []tbEvent, truncated bool, err error) {
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			return events, true, nil
		}
		head := b[off : off+8]
		if binary.LittleEndian.Uint32(b[off+8:]) != tfrecordCRC(head) {
			return events, false, fmt.Errorf("record %d: length checksum mismatch", len(events))
		}
		n := binary.LittleEndian.Uint64(head)
		if uint64(len(b)-off-12) < n+4 {
			return events, true, nil
		}
		body := b[off+12 : off+12+int(n)]
		if binary.LittleEndian.Uint32(b[off+12+int(n):]) != tfrecordCRC(body) {
			return events, false, fmt.Errorf("record %d: data checksum mismatch", len(events))
		}
		e, err := decodeEvent(body)
		if err != nil {
			return events, false, fmt.Errorf("record %d: %w", len(events), err)
		}
		events = append(events, e)
		off += 16 + int(n)
	}
	return events, false, nil
}

// decodeEvent decodes the Event fields the writer uses (see pkg/tensorboard).
func decodeEvent(b []byte) (tbEvent, error) {
	var e tbEvent
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return e, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return e, protowire.ParseError(n)
			}
			e.step, b = int64(v), b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeString(b)
			if n < 0 {
				return e, protowire.ParseError(n)
			}
			e.fileVersion, b = v, b[n:]
		case num == 5 && typ == protowire.BytesType:
			summary, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return e, protowire.ParseError(n)
			}
			b = b[n:]
			if err := decodeSummary(summary, &e); err != nil {
				return e, err
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return e, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return e, nil
}

func decodeSummary(b []byte, e *tbEvent) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if num != 1 || typ != protowire.BytesType {
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		for len(v) > 0 {
			num, typ, n := protowire.ConsumeTag(v)
			if n < 0 {
				return protowire.ParseError(n)
			}
			v = v[n:]
			switch {
			case num == 1 && typ == protowire.BytesType:
				s, n := protowire.ConsumeString(v)
				if n < 0 {
					return protowire.ParseError(n)
				}
				e.tag, v = s, v[n:]
			case num == 2 && typ == protowire.Fixed32Type:
				x, n := protowire.ConsumeFixed32(v)
				if n < 0 {
					return protowire.ParseError(n)
				}
				e.value, e.hasValue, v = math.Float32frombits(x), true, v[n:]
			default:
				n := protowire.ConsumeFieldValue(num, typ, v)
				if n < 0 {
					return protowire.ParseError(n)
				}
				v = v[n:]
			}
		}
	}
	return nil
}

// TestKilledWhileWritingEvents: a child writes scalars to an event file and
// is killed at random moments, flushing after every scalar or only when its
// buffer is full (which cuts records anywhere). The file must read back as
// the file-version record then steps 1..n with their values, stopping
// cleanly at a truncated tail, and hold every scalar reported flushed.
func TestKilledWhileWritingEvents(t *testing.T) {
	t.Parallel()
	rng := killSeed(t)
	const rounds = 4
	truncatedTails := 0
	for round := 1; round <= rounds; round++ {
		buffered := round%2 == 0
		name := fmt.Sprintf("SIGKILL %d of %d while writing events", round, rounds)
		if buffered {
			name += " (64 KiB buffer)"
		}
		fault(t, name, func(t *testing.T) {
			dir := t.TempDir()
			mode := "0"
			if buffered {
				mode = "-1"
			}
			r := startChild(t, "tensorboard", childRoot+"="+dir, childStart+"="+mode)
			last := 0
			seen := func(l string) {
				if n, ok := number(l, "wrote"); ok {
					last = n
				}
			}
			ready := r.waitFor("ready ", 30*time.Second, seen)
			path := strings.TrimPrefix(ready, "ready ")
			if !buffered {
				r.waitFor("wrote", 30*time.Second, seen)
			}
			d := time.Duration(5_000+rng.IntN(40_000)) * time.Microsecond
			r.killAfter(d, seen)

			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			events, truncated, err := readEvents(b)
			if err != nil {
				corrupt(t, "%s (%d bytes): %v after %d good records", path, len(b), err, len(events))
				return
			}
			if truncated {
				truncatedTails++
			}
			t.Logf("killed %v after start: %d bytes, %d records, truncated tail: %v, last reported step %d",
				d, len(b), len(events), truncated, last)
			if len(events) == 0 || events[0].fileVersion != tensorboard.FileVersion {
				t.Fatalf("the file does not start with the file-version record")
			}
			for i, e := range events[1:] {
				s := i + 1
				if e.step != int64(s) || e.tag != "loss/train" || !e.hasValue || e.value != tbValue(s) {
					corrupt(t, "record %d reads step %d %q = %v, want step %d %q = %v", s, e.step, e.tag, e.value, s, "loss/train", tbValue(s))
					return
				}
			}
			if !buffered && len(events)-1 < last {
				t.Errorf("%d scalars in the file, but the child had flushed %d", len(events)-1, last)
			}
		})
	}
	t.Logf("%d of %d killed writers left a truncated last record", truncatedTails, rounds)
}
