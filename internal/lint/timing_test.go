package lint

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// timedAssertions returns "file:line: text" for each comparison (<, <=, >, >=) in
// the Go source src that involves elapsed time: a call of time.Since, time.Until
// or a benchmark's Elapsed, or a variable or field given such a value in the
// same file.
func timedAssertions(fset *token.FileSet, name string, src []byte) ([]string, error) {
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	// Names that hold an elapsed time: d := time.Since(start), took: time.Since(start).
	timed := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, rhs := range n.Rhs {
				if i < len(n.Lhs) && measuresTime(rhs) {
					timed[lastName(n.Lhs[i])] = true
				}
			}
		case *ast.KeyValueExpr:
			if measuresTime(n.Value) {
				timed[lastName(n.Key)] = true
			}
		case *ast.ValueSpec:
			for i, v := range n.Values {
				if i < len(n.Names) && measuresTime(v) {
					timed[n.Names[i].Name] = true
				}
			}
		}
		return true
	})
	delete(timed, "")
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		b, ok := n.(*ast.BinaryExpr)
		if !ok {
			return true
		}
		switch b.Op {
		case token.LSS, token.LEQ, token.GTR, token.GEQ:
		default:
			return true
		}
		for _, side := range []ast.Expr{b.X, b.Y} {
			if measuresTime(side) || timed[lastName(side)] {
				p := fset.Position(b.Pos())
				found = append(found, fmt.Sprintf("%s:%d: %s", p.Filename, p.Line, strings.TrimSpace(string(src[p.Offset:fset.Position(b.End()).Offset]))))
				break
			}
		}
		return true
	})
	return found, nil
}

// measuresTime reports whether e calls time.Since, time.Until, time.Now().Sub or .Elapsed().
func measuresTime(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return !found
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "time" && (sel.Sel.Name == "Since" || sel.Sel.Name == "Until") {
				found = true
			}
			if sel.Sel.Name == "Elapsed" {
				found = true
			}
			// time.Now().Sub(start)
			if inner, ok := sel.X.(*ast.CallExpr); ok && sel.Sel.Name == "Sub" {
				if now, ok := inner.Fun.(*ast.SelectorExpr); ok && now.Sel.Name == "Now" {
					if x, ok := now.X.(*ast.Ident); ok && x.Name == "time" {
						found = true
					}
				}
			}
		}
		return !found
	})
	return found
}

// lastName is the name an expression ends with: d, r.took → took; "" for others.
func lastName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.CallExpr: // r.took.Round(time.Second) is still r.took
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
			return lastName(sel.X)
		}
	}
	return ""
}

// TestNoTimedAssertions reads every _test.go file of the module.
func TestNoTimedAssertions(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("not in the checkout: %v", err)
	}
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "data", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		found, err := timedAssertions(fset, path, src)
		if err != nil {
			return err
		}
		for _, f := range found {
			t.Errorf("%s: a test compares elapsed time with a limit; assert what the limit stands for (see package doc)", f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("read only %d test files: is the walk rooted at the checkout?", files)
	}
}

// TestTimedAssertionsFound: the check catches each way of writing a timed
// assertion, and leaves alone what only logs or waits.
func TestTimedAssertionsFound(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"direct", `if time.Since(start) > 3*time.Second { t.Error() }`, 1},
		{"in a variable", `d := time.Since(start); if d > time.Second { t.Error() }`, 1},
		{"in an if statement", `if d := time.Since(start); d >= time.Second { t.Error() }`, 1},
		{"assigned later", `var elapsed time.Duration; elapsed = time.Since(start); if limit := time.Second; elapsed > limit { t.Error() }`, 1},
		{"a field", `r := run{took: time.Since(start)}; if r.took > 10*time.Second { t.Error() }`, 1},
		{"limit first", `if 10*time.Second < time.Until(deadline) { t.Error() }`, 1},
		{"a benchmark's", `if b.Elapsed() > time.Minute { b.Error() }`, 1},
		{"now minus start", `took := time.Now().Sub(start); if took >= limit { t.Error() }`, 1},
		{"logged only", `t.Logf("took %v", time.Since(start))`, 0},
		{"a wait loop", `for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); { }`, 0},
		{"a metric", `b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")`, 0},
		{"other comparisons", `if n > 3 { t.Error() }`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "package p\nfunc f() {\n" + tc.body + "\n}\n"
			found, err := timedAssertions(token.NewFileSet(), "x_test.go", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != tc.want {
				t.Errorf("found %d (%q), want %d", len(found), found, tc.want)
			}
		})
	}
}
