package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/juanji/juanji/internal/atomicfile"
)

// A checkpoint file holds every variable of a Trainer's context (weights, batch-norm running
// statistics, optimizer state):
//
//	"JUANJI-CHECKPOINT-1\n" | header length (uint32 LE) | JSON header | raw values | SHA-256 of all before
//
// It is written with internal/atomicfile (a temporary file in the same folder, synced, then
// renamed over the target, the folder synced), so a crash mid-save leaves the previous checkpoint (or none), never a file that loads wrong
// values; the trailing SHA-256 catches truncation or corruption on load.

const checkpointMagic = "JUANJI-CHECKPOINT-1\n"

type checkpointVar struct {
	Scope string `json:"scope"`
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Dims  []int  `json:"dims"`
	Bytes int    `json:"bytes"`
}

type checkpointHeader struct {
	Vars    []checkpointVar `json:"vars"`
	History *History        `json:"history,omitempty"`
}

// Save writes the trainer's variables (and, if h is not nil, the training history) to path.
func (t *Trainer) Save(path string, h *History) (err error) {
	var header checkpointHeader
	header.History = h
	var values []*tensors.Tensor
	for v := range t.Ctx.IterVariables() {
		value, err := v.Value()
		if err != nil || value == nil {
			continue // created but never initialized: nothing to save
		}
		if v.DType() != dtypes.Float32 && v.DType() != dtypes.Float64 && v.DType() != dtypes.Int64 && v.DType() != dtypes.Uint64 && v.DType() != dtypes.Int32 {
			return fmt.Errorf("train: saving %s: dtype %s not supported", v.ScopeAndName(), v.DType())
		}
		header.Vars = append(header.Vars, checkpointVar{Scope: v.Scope(), Name: v.Name(), DType: v.DType().String(),
			Dims: v.Shape().Dimensions, Bytes: int(value.Shape().Memory())})
		values = append(values, value)
	}
	order := make([]int, len(header.Vars))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		va, vb := header.Vars[order[a]], header.Vars[order[b]]
		return va.Scope+"/"+va.Name < vb.Scope+"/"+vb.Name
	})
	sortedVars := make([]checkpointVar, len(order))
	sortedValues := make([]*tensors.Tensor, len(order))
	for i, j := range order {
		sortedVars[i], sortedValues[i] = header.Vars[j], values[j]
	}
	header.Vars = sortedVars

	headerJSON, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("train: saving checkpoint %s: %w", path, err)
	}
	var buf bytes.Buffer
	buf.WriteString(checkpointMagic)
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(headerJSON)))
	buf.Write(headerJSON)
	for i, value := range sortedValues {
		if err := value.ConstBytes(func(b []byte) { buf.Write(b) }); err != nil {
			return fmt.Errorf("train: saving %s/%s to %s: %w", header.Vars[i].Scope, header.Vars[i].Name, path, err)
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	if err := atomicfile.Write(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("train: saving %s: %w", path, err)
	}
	return nil
}

// ErrCorruptCheckpoint is returned (wrapped) for a checkpoint file that is truncated or damaged.
var ErrCorruptCheckpoint = errors.New("corrupt checkpoint")

// Load reads a checkpoint written by Save into the trainer's variables and returns the
// history stored with it (nil if none). Variables are created when missing, so a fresh
// Trainer for the same model predicts exactly what the saved one did.
func (t *Trainer) Load(path string) (*History, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: loading checkpoint: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("train: loading checkpoint %s: %w: %s", path, ErrCorruptCheckpoint, fmt.Sprintf(format, args...))
	}
	if len(raw) < len(checkpointMagic)+4+sha256.Size || string(raw[:len(checkpointMagic)]) != checkpointMagic {
		return nil, bad("not a juanji checkpoint (bad magic or too short: %d bytes)", len(raw))
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, bad("checksum mismatch (truncated or modified file)")
	}
	r := bytes.NewReader(body[len(checkpointMagic):])
	var headerLen uint32
	if err := binary.Read(r, binary.LittleEndian, &headerLen); err != nil || int(headerLen) > r.Len() {
		return nil, bad("bad header length")
	}
	headerJSON := make([]byte, headerLen)
	_, _ = io.ReadFull(r, headerJSON)
	var header checkpointHeader
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		return nil, bad("header: %v", err)
	}
	for _, cv := range header.Vars {
		dtype, err := dtypes.DTypeString(cv.DType)
		if err != nil {
			return nil, bad("variable %s/%s: dtype %q", cv.Scope, cv.Name, cv.DType)
		}
		shape := shapes.Make(dtype, cv.Dims...)
		if int(shape.Memory()) != cv.Bytes || cv.Bytes > r.Len() {
			return nil, bad("variable %s/%s: %d bytes for shape %s, %d left", cv.Scope, cv.Name, cv.Bytes, shape, r.Len())
		}
		value := tensors.FromShape(shape)
		if err := value.MutableBytes(func(b []byte) { _, _ = io.ReadFull(r, b) }); err != nil {
			return nil, fmt.Errorf("train: loading checkpoint %s: %w", path, err)
		}
		ctx := t.Ctx.InAbsPath(cv.Scope)
		if v := ctx.GetVariableByScopeAndName(cv.Scope, cv.Name); v != nil {
			if !v.Shape().Equal(shape) {
				return nil, fmt.Errorf("train: loading checkpoint %s: variable %s/%s has shape %s in the model, %s in the file",
					path, cv.Scope, cv.Name, v.Shape(), shape)
			}
			if err := v.SetValue(value); err != nil {
				return nil, fmt.Errorf("train: loading checkpoint %s: %w", path, err)
			}
			continue
		}
		ctx.VariableWithValue(cv.Name, value)
	}
	if r.Len() != 0 {
		return nil, bad("%d unexpected bytes after the variables", r.Len())
	}
	return header.History, nil
}
