package security

import (
	"slices"
	"testing"
)

// The bad examples of every checker are in internal/faults (TestCheckersCatchBadExamples)
// and internal/dockercheck (TestBreakages); this tests the line splitting both rely on.
func TestLogicalLines(t *testing.T) {
	src := "# a comment\nRUN curl -fsSL https://x.example.com/i.sh \\\n   | bash\n\n  echo done \\\n"
	want := []Line{{1, "# a comment"}, {2, "RUN curl -fsSL https://x.example.com/i.sh | bash"}, {4, ""}, {5, "echo done"}}
	if got := LogicalLines(src); !slices.Equal(got, want) {
		t.Errorf("LogicalLines = %v, want %v", got, want)
	}
	wantRun := []Line{want[1], want[3]}
	if got := Statements(src); !slices.Equal(got, wantRun) {
		t.Errorf("Statements = %v, want %v", got, wantRun)
	}
	if !RunsDownload(want[1].Text) {
		t.Errorf("RunsDownload(%q) = false", want[1].Text)
	}
}
