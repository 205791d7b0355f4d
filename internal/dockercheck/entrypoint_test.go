package dockercheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runEntrypoint runs docker/entrypoint.sh with stand-ins for `jupyter` (it
// records its arguments and JUPYTER_TOKEN) and `id` (it answers uid).
// It returns the script's output, what jupyter received ("" if it was not
// run) and whether the script succeeded.
func runEntrypoint(t *testing.T, uid string, env []string, args ...string) (out, jupyter string, ok bool) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	stubs := t.TempDir()
	record := filepath.Join(stubs, "jupyter.txt")
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(stubs, name), []byte("#!"+bash+"\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("jupyter", `{ printf 'ARG %s\n' "$@"; printf 'TOKEN %s\n' "$JUPYTER_TOKEN"; printf 'PWD %s\n' "$PWD"; } >`+record+"\n")
	write("id", `if [[ $1 == -u ]]; then echo `+uid+`; else /usr/bin/id "$@"; fi`+"\n")

	script, err := filepath.Abs(filepath.Join(root, "docker", "entrypoint.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, append([]string{script}, args...)...)
	cmd.Env = append([]string{"PATH=" + stubs + ":/usr/bin:/bin", "HOME=" + t.TempDir()}, env...)
	b, err := cmd.CombinedOutput()
	rec, _ := os.ReadFile(record)
	return string(b), string(rec), err == nil
}

var hexToken = regexp.MustCompile(`TOKEN ([0-9a-f]+)\n`)

func TestEntrypointGeneratesToken(t *testing.T) {
	for _, env := range [][]string{nil, {"JUPYTER_TOKEN="}} {
		out, jup, ok := runEntrypoint(t, "1000", env)
		if !ok || jup == "" {
			t.Fatalf("env %q: Jupyter not started:\n%s", env, out)
		}
		m := hexToken.FindStringSubmatch(jup)
		if m == nil || len(m[1]) < 32 {
			t.Fatalf("env %q: JUPYTER_TOKEN given to Jupyter = %q, want a random token of 32+ hex digits", env, jup)
		}
		if !strings.Contains(out, "?token="+m[1]) {
			t.Errorf("env %q: the address printed does not carry the token:\n%s", env, out)
		}
		if strings.Contains(jup, "ARG --"+"ServerApp.token") || strings.Contains(jup, "ARG --IdentityProvider.token") {
			t.Errorf("the token is passed on the command line (visible in ps):\n%s", jup)
		}
		for _, want := range []string{"ARG lab\n", "ARG --ip=0.0.0.0\n", "ARG --port=8888\n", "ARG --no-browser\n", "ARG --LabApp.default_url=/lab/tree/notebooks\n"} {
			if !strings.Contains(jup, want) {
				t.Errorf("Jupyter's arguments lack %q:\n%s", strings.TrimSpace(want), jup)
			}
		}
	}
	// Two starts, two tokens.
	_, a, _ := runEntrypoint(t, "1000", nil)
	_, b, _ := runEntrypoint(t, "1000", nil)
	if hexToken.FindString(a) == hexToken.FindString(b) {
		t.Errorf("the same token twice: %q", hexToken.FindString(a))
	}
}

func TestEntrypointUsesGivenToken(t *testing.T) {
	const token = "a-token-given-by-the-user-0123"
	out, jup, ok := runEntrypoint(t, "1000", []string{"JUPYTER_TOKEN=" + token}, "--ServerApp.log_level=DEBUG")
	if !ok {
		t.Fatalf("failed:\n%s", out)
	}
	if !strings.Contains(jup, "TOKEN "+token+"\n") {
		t.Errorf("Jupyter got %q, want the token given", jup)
	}
	if strings.Contains(out, token) {
		t.Errorf("a token the user chose is printed:\n%s", out)
	}
	if !strings.Contains(jup, "ARG --ServerApp.log_level=DEBUG\n") {
		t.Errorf("extra options not passed to Jupyter:\n%s", jup)
	}
}

func TestEntrypointRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, uid string
		env       []string
	}{
		{"short token", "1000", []string{"JUPYTER_TOKEN=abc123"}},
		{"root", "0", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, jup, ok := runEntrypoint(t, tc.uid, tc.env)
			if ok || jup != "" {
				t.Errorf("started Jupyter (ok=%v, jupyter got %q):\n%s", ok, jup, out)
			}
		})
	}
}

func TestEntrypointRunsOtherCommands(t *testing.T) {
	out, jup, ok := runEntrypoint(t, "1000", nil, "echo", "make", "test")
	if !ok || strings.TrimSpace(out) != "make test" || jup != "" {
		t.Errorf("`echo make test` gave ok=%v out=%q jupyter=%q", ok, out, jup)
	}
}
