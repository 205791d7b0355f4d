package gocpu

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// TestFuseGroups: a chain whose inner results have one reader becomes one
// node; a result read twice, or an output, ends a chain.
func TestFuseGroups(t *testing.T) {
	eb, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	b := eb.Builder("fuse").(*Builder)
	must := func(op backends.Op, err error) backends.Op {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	s := shapes.Make(dtypes.Float32, 4, 3, 5)
	x := must(b.Parameter("x", s, nil))
	v := must(b.Parameter("v", shapes.Make(dtypes.Float32, 3), nil))
	bv := must(b.BroadcastInDim(v, s, []int{1}))
	a := must(b.Add(x, bv))      // inner: one reader
	l := must(b.Logistic(a))     // read twice: ends a chain
	m := must(b.Mul(l, l))       // a chain of its own with...
	out := must(b.Sub(m, x))     // ...this one
	twice := must(b.Add(l, out)) // reads l again
	root := twice.(*node)
	order := fuse(b.order, []*node{root, out.(*node)})
	var groups [][]string
	for _, n := range order {
		if n.fused != nil {
			var ops []string
			for _, m := range n.fused.members {
				ops = append(ops, m.op.String())
			}
			groups = append(groups, ops)
		}
	}
	want := [][]string{{"BroadcastInDim", "Add", "Logistic"}, {"Mul", "Sub"}}
	if len(groups) != len(want) {
		t.Fatalf("fused groups %v, want %v", groups, want)
	}
	for i := range want {
		if len(groups[i]) != len(want[i]) {
			t.Fatalf("fused groups %v, want %v", groups, want)
		}
		for j := range want[i] {
			if groups[i][j] != want[i][j] {
				t.Fatalf("fused groups %v, want %v", groups, want)
			}
		}
	}
}
