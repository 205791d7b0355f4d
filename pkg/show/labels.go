package show

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Line widths used by the libraries whose printouts we reproduce.
const (
	torchLineWidth = 80 // torch.set_printoptions(linewidth=80)
	numpyLineWidth = 75 // numpy.set_printoptions(linewidth=75)
)

// LabelMatrix formats integer labels as a rows×cols matrix, the way
// PyTorch prints labels.reshape((rows, cols)):
//
//	tensor([[1, 1, 1, 2],
//	        [1, 1, 7, 1]])
//
// Numbers are right-aligned to the widest one and rows longer than 80
// characters wrap, as in PyTorch; PyTorch's summarization of tensors with
// more than 1000 values ("...") is not reproduced. len(labels) must be
// rows*cols.
func LabelMatrix(labels []int, rows, cols int) (string, error) {
	if err := checkMatrix(len(labels), rows, cols); err != nil {
		return "", fmt.Errorf("show.LabelMatrix: %w", err)
	}
	texts := make([]string, len(labels))
	width := 0
	for i, label := range labels {
		texts[i] = strconv.Itoa(label)
		width = max(width, len(texts[i]))
	}
	for i, text := range texts {
		texts[i] = strings.Repeat(" ", width-len(text)) + text
	}

	// PyTorch's _tensor_str: rows start after "tensor([", that is at
	// column 8; a row that wraps goes on at column 9.
	const prefix = "tensor("
	rowIndent := len(prefix) + 1
	perLine := max(1, (torchLineWidth-rowIndent)/(width+2))

	var b strings.Builder
	b.WriteString(prefix + "[")
	for r := range rows {
		if r > 0 {
			b.WriteString(",\n" + strings.Repeat(" ", rowIndent))
		}
		row := texts[r*cols : (r+1)*cols]
		b.WriteString("[")
		for start := 0; start < len(row); start += perLine {
			if start > 0 {
				b.WriteString(",\n" + strings.Repeat(" ", rowIndent+1))
			}
			b.WriteString(strings.Join(row[start:min(start+perLine, len(row))], ", "))
		}
		b.WriteString("]")
	}
	b.WriteString("])")
	return b.String(), nil
}

// NameMatrix formats names as a rows×cols matrix, the way numpy prints
// np.array(names).reshape((rows, cols)):
//
//	[['bird' 'dog']
//	 ['dog' 'dog']]
//
// Rows longer than 75 characters wrap, as in numpy. len(names) must be
// rows*cols.
func NameMatrix(names []string, rows, cols int) (string, error) {
	if err := checkMatrix(len(names), rows, cols); err != nil {
		return "", fmt.Errorf("show.NameMatrix: %w", err)
	}
	// This follows numpy's _formatArray for a 2-D array: the outer "["
	// takes one column, so each row has one column less, and the closing
	// "]" of a row must fit too.
	const rowIndent = " "
	const wrapIndent = "  "
	elemWidth := numpyLineWidth - 1 - 1

	var b strings.Builder
	b.WriteString("[")
	for r := range rows {
		if r > 0 {
			b.WriteString("\n" + rowIndent)
		}
		var text strings.Builder
		line := wrapIndent
		for c := range cols {
			word := pythonRepr(names[r*cols+c])
			if c > 0 {
				line += " "
			}
			if len(line)+len(word) > elemWidth && len(line) > len(wrapIndent) {
				text.WriteString(strings.TrimRight(line, " ") + "\n")
				line = wrapIndent
			}
			line += word
		}
		text.WriteString(line)
		b.WriteString("[" + text.String()[len(wrapIndent):] + "]")
	}
	b.WriteString("]")
	return b.String(), nil
}

// checkMatrix checks that n values fill a rows×cols matrix exactly.
func checkMatrix(n, rows, cols int) error {
	if rows <= 0 || cols <= 0 {
		return fmt.Errorf("rows and cols must be positive, got %d×%d", rows, cols)
	}
	if n != rows*cols {
		return fmt.Errorf("cannot arrange %d labels as %d×%d (that needs %d)", n, rows, cols, rows*cols)
	}
	return nil
}

// pythonRepr quotes s the way Python's repr quotes a string: in single
// quotes, or in double quotes if s has a single quote and no double quote.
func pythonRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"`
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// labelMatrix formats the first rows*cols labels, given as a tensor of
// integers, []int32, []int64, []int or []string; with classes, integer
// labels are shown as class names.
func labelMatrix(labels any, rows, cols int, classes []string) (string, error) {
	ints, names, err := labelValues(labels)
	if err != nil {
		return "", err
	}
	k := rows * cols
	if names == nil && classes != nil {
		names = make([]string, len(ints))
		for i, label := range ints {
			if label < 0 || label >= len(classes) {
				return "", fmt.Errorf("label %d at position %d has no class name (%d classes)", label, i, len(classes))
			}
			names[i] = classes[label]
		}
	}
	if names != nil {
		if len(names) < k {
			return "", fmt.Errorf("%d labels, but %d×%d needs %d", len(names), rows, cols, k)
		}
		return NameMatrix(names[:k], rows, cols)
	}
	if len(ints) < k {
		return "", fmt.Errorf("%d labels, but %d×%d needs %d", len(ints), rows, cols, k)
	}
	return LabelMatrix(ints[:k], rows, cols)
}

// labelValues reads labels as integers or names.
func labelValues(labels any) (ints []int, names []string, err error) {
	switch v := labels.(type) {
	case []int:
		return v, nil, nil
	case []int32:
		return toInts(v), nil, nil
	case []int64:
		return toInts(v), nil, nil
	case []string:
		return nil, v, nil
	case *tensors.Tensor:
		if v == nil {
			return nil, nil, errors.New("labels tensor is nil")
		}
		switch v.DType() {
		case dtypes.Int32:
			values, err := tensors.CopyFlatData[int32](v)
			return toInts(values), nil, err
		case dtypes.Int64:
			values, err := tensors.CopyFlatData[int64](v)
			return toInts(values), nil, err
		case dtypes.Uint8:
			values, err := tensors.CopyFlatData[uint8](v)
			return toInts(values), nil, err
		}
		return nil, nil, fmt.Errorf("labels tensor must hold integers (int32 or int64), got %s; "+
			"for predictions, take the arg-max of the scores first", v.Shape())
	}
	return nil, nil, fmt.Errorf("labels must be a *tensors.Tensor, []int, []int32, []int64 or []string, got %T", labels)
}

func toInts[T int32 | int64 | uint8](values []T) []int {
	ints := make([]int, len(values))
	for i, v := range values {
		ints[i] = int(v)
	}
	return ints
}
