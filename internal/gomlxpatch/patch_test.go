package gomlxpatch

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// TestWrittenForThisGoMLX fails when go.mod, or the build, moves to another GoMLX: the
// patches read GoMLX's internals and must be checked against the new version first.
func TestWrittenForThisGoMLX(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(Module) + `\s+(\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatalf("go.mod does not require %s", Module)
	}
	versions := map[string]string{"go.mod requires": string(m[1])}
	if v := BuiltWith(); v != "" { // go test does not always record the modules a test binary is built from
		versions["this test was built with"] = v
	}
	for where, v := range versions {
		if v != WrittenFor {
			t.Errorf("GOMLX UPGRADED: %s %s %s, but internal/gomlxpatch was written for %s.\n"+
				"Check every patch in its package doc against the new version, then update WrittenFor.", where, Module, v, WrittenFor)
		}
	}
	if err := Check(); err != nil {
		t.Error(err)
	}
}

// TestInstalled: importing the package replaced both rules and kept the library's.
func TestInstalled(t *testing.T) {
	for _, op := range []graph.NodeType{graph.NodeTypeDotGeneral, graph.NodeTypeSlice} {
		if Library(op) == nil {
			t.Errorf("%s: the library's rule was not kept", op)
		}
	}
	if len(Patches) != 3 {
		t.Errorf("Patches lists %d changes; the package doc describes 3", len(Patches))
	}
}

// TestReflectionReadsOpParameters: the unexported fields the gradient rules read exist
// under the names they use. Without them the rules fall back to the library's silently,
// so this is what notices a changed layout.
func TestReflectionReadsOpParameters(t *testing.T) {
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	g := graph.NewGraph(backend, "reflection")
	defer g.Finalize()
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 2, 3, 4))
	y := graph.Parameter(g, "y", shapes.Make(dtypes.Float32, 2, 4, 5))
	dot := graph.DotGeneral(x, []int{2}, []int{0}, y, []int{1}, []int{0})
	axes, ok := readDotGeneralAxes(dot)
	if !ok {
		t.Fatal("cannot read DotGeneral's axes from its node: GoMLX's nodeInputs layout changed")
	}
	if want := (dotGeneralAxes{[]int{2}, []int{0}, []int{1}, []int{0}}); !equalAxes(axes, want) {
		t.Errorf("DotGeneral axes = %v, want %v", axes, want)
	}
	slice := graph.Slice(x, graph.AxisRange(1, 2), graph.AxisRange(0, 3).Stride(2), graph.AxisRange())
	f, ok := readIntSlices(slice, "starts", "limits", "strides")
	if !ok {
		t.Fatal("cannot read Slice's starts, limits and strides from its node: GoMLX's nodeInputs layout changed")
	}
	if got := [3][]int{f[0], f[1], f[2]}; !equalInts(got[0], []int{1, 0, 0}) || !equalInts(got[1], []int{2, 3, 4}) || !equalInts(got[2], []int{1, 2, 1}) {
		t.Errorf("Slice parameters = %v, want starts [1 0 0], limits [2 3 4], strides [1 2 1]", got)
	}
}

func equalAxes(a, b dotGeneralAxes) bool {
	return equalInts(a.lhsContracting, b.lhsContracting) && equalInts(a.lhsBatch, b.lhsBatch) &&
		equalInts(a.rhsContracting, b.rhsContracting) && equalInts(a.rhsBatch, b.rhsBatch)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDropStdoutLines: the line is dropped, everything else printed.
func TestDropStdoutLines(t *testing.T) {
	if got := string(DropLines([]byte("keep\nGoMLX says hi\nkeep too"), "GoMLX says")); got != "keep\nkeep too" {
		t.Errorf("DropLines = %q", got)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	orig := os.Stdout
	os.Stdout = w
	DropStdoutLines("GoMLX says", func() { os.Stdout.WriteString("GoMLX says hi\nmine\n") })
	os.Stdout = orig
	w.Close()
	var buf bytes.Buffer
	buf.ReadFrom(r)
	if buf.String() != "mine\n" {
		t.Errorf("printed %q, want %q", buf.String(), "mine\n")
	}
}
