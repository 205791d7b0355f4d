package excerpt

import "testing"

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"  short  ", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"longer than ten", 10, "longer tha..."},
		{"卷积神经网络", 4, "卷..."}, // 3-byte runes: never cut inside one
	} {
		if got := Truncate(tc.s, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	for s, want := range map[string]string{
		"one line":                    "one line",
		"\n  first\nsecond\nthird":    "first ...",
		"panic: x\n\ngoroutine 1 [..": "panic: x ...",
	} {
		if got := FirstLine(s); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got, want := OneLine("curl -fsSL x \\\n   | bash", 100), `curl -fsSL x \ | bash`; got != want {
		t.Errorf("OneLine = %q, want %q", got, want)
	}
}
