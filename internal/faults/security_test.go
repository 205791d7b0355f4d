package faults

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/juanji/juanji/internal/security"
)

// downloadHosts are the hosts pkg/data may download from, each the
// publisher of a dataset or the mirror its reference loader uses.
var downloadHosts = []string{
	"ossci-datasets.s3.amazonaws.com",             // MNIST: torchvision's HTTPS mirror
	"storage.googleapis.com",                      // MNIST: TensorFlow's cvdf-datasets mirror
	"raw.githubusercontent.com",                   // Fashion-MNIST: Zalando's repository
	"fashion-mnist.s3.eu-central-1.amazonaws.com", // Fashion-MNIST: Zalando's bucket, HTTPS endpoint
	"www.cs.toronto.edu",                          // CIFAR-10: Alex Krizhevsky's page
}

// rule checks one security rule on the checkout and counts it.
func rule(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		rulesChecked.Add(1)
		defer func() {
			switch {
			case t.Skipped():
				rulesChecked.Add(-1)
			case !t.Failed():
				rulesHeld.Add(1)
			}
		}()
		f(t)
	})
}

// checkerCase is an input for a checker and whether it must be flagged.
type checkerCase struct {
	name  string
	input string
	bad   bool
}

// testChecker runs a checker on good and bad examples: every bad one must be
// flagged (and is counted), no good one may be.
func testChecker(t *testing.T, check func(string) []string, cases []checkerCase) {
	t.Helper()
	for _, c := range cases {
		problems := check(c.input)
		if c.bad {
			badExamples.Add(1)
			if len(problems) > 0 {
				badCaught.Add(1)
			} else {
				t.Errorf("%s: not flagged: %q", c.name, c.input)
			}
		} else if len(problems) > 0 {
			t.Errorf("%s: flagged wrongly: %q", c.name, problems)
		}
	}
}

// repoFiles lists the checkout's files as git sees them: tracked, and new
// ones not ignored (they will be tracked once committed).
func repoFiles(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	out, err := exec.Command("git", "-C", root, "-c", "safe.directory="+root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("skipped: git ls-files: %v", err)
	}
	var files []string
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if f != "" && !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	return files
}

// readText reads a file of the checkout, or returns false for binary,
// missing or huge files.
func readText(root, rel string) (string, bool) {
	p := filepath.Join(root, rel)
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > 8<<20 {
		return "", false
	}
	b, err := os.ReadFile(p)
	if err != nil || bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 {
		return "", false
	}
	return string(b), true
}

// cleanEnv is the environment make runs in for the lab checks: nothing of
// the caller's (a HOST or PORT variable would change make's defaults).
func cleanEnv(extra ...string) []string {
	return append([]string{"PATH=" + origEnv["PATH"], "HOME=" + origEnv["HOME"]}, extra...)
}

func TestSecurity(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)

	rule(t, "make lab recipe: 127.0.0.1, random token", func(t *testing.T) {
		if _, err := exec.LookPath("make"); err != nil {
			t.Skip("skipped: no make")
		}
		cmd := exec.Command("make", "--no-print-directory", "-n", "-o", "install", "lab")
		cmd.Dir, cmd.Env = root, cleanEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n lab: %v\n%s", err, out)
		}
		for _, p := range security.CheckLabRecipe(string(out)) {
			t.Error(p)
		}
	})

	rule(t, "make lab run: Jupyter started on 127.0.0.1 with a fresh token", func(t *testing.T) {
		if _, err := exec.LookPath("make"); err != nil {
			t.Skip("skipped: no make")
		}
		// A stand-in jupyter that prints how it was started.
		bin := t.TempDir()
		fake := "#!/bin/sh\n[ \"$2\" = --version ] && exit 1\nfor a in \"$@\"; do printf 'ARG %s\\n' \"$a\"; done\nprintf 'TOKEN %s\\n' \"$JUPYTER_TOKEN\"\n"
		if err := os.WriteFile(filepath.Join(bin, "jupyter"), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
		var tokens []string
		for range 2 {
			cmd := exec.Command("make", "--no-print-directory", "-o", "install", "lab")
			// JUPYTER_TOKEN set but empty must not mean "no token".
			cmd.Dir = root
			cmd.Env = cleanEnv("JUPYTER_TOKEN=")
			cmd.Env[0] = "PATH=" + bin + string(os.PathListSeparator) + origEnv["PATH"]
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make lab with a stand-in jupyter: %v\n%s", err, out)
			}
			var args []string
			token := ""
			for _, l := range strings.Split(string(out), "\n") {
				if a, ok := strings.CutPrefix(l, "ARG "); ok {
					args = append(args, a)
				} else if tk, ok := strings.CutPrefix(l, "TOKEN "); ok {
					token = tk
				}
			}
			for _, p := range security.CheckJupyterRun(args, token) {
				t.Error(p)
			}
			if token != "" && !strings.Contains(string(out), "?token="+token) {
				t.Errorf("the address printed does not carry the token")
			}
			tokens = append(tokens, token)
		}
		if tokens[0] == tokens[1] {
			t.Errorf("two runs got the same token %q: it is not random", tokens[0])
		}
	})

	rule(t, "Docker keeps the token on", func(t *testing.T) {
		found := false
		for _, rel := range []string{"docker/Dockerfile", "docker/entrypoint.sh"} {
			text, ok := readText(root, rel)
			if !ok {
				continue
			}
			found = true
			for _, p := range security.CheckDockerAuth(text) {
				t.Errorf("%s: %s", rel, p)
			}
		}
		if !found {
			t.Skip("skipped: no docker/Dockerfile")
		}
	})

	rule(t, "datasets only over HTTPS from documented hosts", func(t *testing.T) {
		urls, err := security.GoLiteralURLs(filepath.Join(root, "pkg", "data"))
		if err != nil {
			t.Fatal(err)
		}
		if len(urls) == 0 {
			t.Fatal("no URL found in pkg/data: the scanner is broken")
		}
		t.Logf("allowed hosts: %s", strings.Join(downloadHosts, ", "))
		for _, u := range urls {
			t.Logf("  %s  %s", u.Where, u.URL)
		}
		for _, p := range security.CheckDownloadURLs(urls, downloadHosts) {
			t.Error(p)
		}
		allowedHosts = downloadHosts
	})

	rule(t, "no curl|sh, wget|sh or @latest in scripts, Makefile, Dockerfile, CI", func(t *testing.T) {
		n := 0
		for _, rel := range repoFiles(t) {
			base := filepath.Base(rel)
			if !(base == "Makefile" || strings.HasSuffix(base, ".sh") || strings.HasPrefix(base, "Dockerfile") ||
				strings.HasPrefix(rel, ".ci/") || strings.HasSuffix(base, ".mk")) {
				continue
			}
			text, ok := readText(root, rel)
			if !ok {
				continue
			}
			n++
			for _, p := range security.CheckScript(rel, text) {
				t.Error(p)
			}
		}
		t.Logf("%d scripts checked", n)
		if n == 0 {
			t.Fatal("no script found: the file list is broken")
		}
	})

	// Tests hold fake credentials on purpose, as bad examples for the checkers
	// (internal/security's, run here and by internal/dockercheck): _test.go files and
	// testdata folders are not scanned.
	rule(t, "no secrets in the files git tracks", func(t *testing.T) {
		n := 0
		for _, rel := range repoFiles(t) {
			if strings.HasSuffix(rel, "_test.go") || strings.Contains("/"+rel, "/testdata/") {
				continue
			}
			text, ok := readText(root, rel)
			if !ok {
				continue
			}
			n++
			for _, p := range security.CheckSecrets(rel, text) {
				t.Error(p)
			}
		}
		t.Logf("%d files checked", n)
	})
}

// allowedHosts is printed by TestMain once the URL rule ran.
var allowedHosts []string

// TestCheckersCatchBadExamples: every security rule can fail.
func TestCheckersCatchBadExamples(t *testing.T) {
	t.Parallel()
	goodRecipe := `token=${JUPYTER_TOKEN:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}; ` +
		`args=(--no-browser --ip="127.0.0.1" --port="8888" --$cfg.port_retries=0); ` +
		`cd notebooks && JUPYTER_TOKEN="$token" exec jupyter $app "${args[@]}"`
	t.Run("lab recipe", func(t *testing.T) {
		testChecker(t, security.CheckLabRecipe, []checkerCase{
			{"the real recipe", goodRecipe, false},
			{"all interfaces", strings.Replace(goodRecipe, "127.0.0.1", "0.0.0.0", 1), true},
			{"any interface", strings.Replace(goodRecipe, `"127.0.0.1"`, `'*'`, 1), true},
			{"no --ip", strings.Replace(goodRecipe, `--ip="127.0.0.1" `, "", 1), true},
			{"fixed token", strings.Replace(goodRecipe, `$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')`, "juanji", 1), true},
			{"token switched off", goodRecipe + ` --NotebookApp.token=''`, true},
			{"empty JUPYTER_TOKEN", strings.Replace(goodRecipe, `JUPYTER_TOKEN="$token"`, `JUPYTER_TOKEN=""`, 1), true},
			{"xsrf off", goodRecipe + " --ServerApp.disable_check_xsrf=True", true},
		})
	})
	t.Run("jupyter run", func(t *testing.T) {
		good := []string{"notebook", "--no-browser", "--ip=127.0.0.1", "--port=8888"}
		tok := strings.Repeat("ab", 16)
		run := func(args []string, token string) string { return strings.Join(args, "\x00") + "\x01" + token }
		testChecker(t, func(s string) []string {
			a, tk, _ := strings.Cut(s, "\x01")
			return security.CheckJupyterRun(strings.Split(a, "\x00"), tk)
		}, []checkerCase{
			{"loopback, random token", run(good, tok), false},
			{"all interfaces", run(append(slices.Clone(good[:2]), "--ip=0.0.0.0"), tok), true},
			{"empty token", run(good, ""), true},
			{"short token", run(good, "abc"), true},
			{"token option emptied", run(append(slices.Clone(good), "--ServerApp.token="), tok), true},
		})
	})
	t.Run("docker", func(t *testing.T) {
		testChecker(t, security.CheckDockerAuth, []checkerCase{
			{"entrypoint with a token", "export JUPYTER_TOKEN\nexec jupyter lab --ip=0.0.0.0 --port=8888", false},
			{"empty ENV token", "ENV JUPYTER_TOKEN=\"\"", true},
			{"empty ENV token, bare", "ENV JUPYTER_TOKEN=", true},
			{"CMD with token off", `CMD ["jupyter", "lab", "--ip=0.0.0.0", "--ServerApp.token=", "--allow-root"]`, true},
			{"token off, continued line", "RUN jupyter lab \\\n  --NotebookApp.token='' \\\n  --NotebookApp.password=''", true},
		})
	})
	t.Run("download URLs", func(t *testing.T) {
		check := func(u string) []string {
			return security.CheckDownloadURLs([]security.FoundURL{{Where: "x.go:1", URL: u}}, downloadHosts)
		}
		testChecker(t, check, []checkerCase{
			{"official HTTPS", "https://ossci-datasets.s3.amazonaws.com/mnist/", false},
			{"plain HTTP", "http://yann.lecun.com/exdb/mnist/", true},
			{"plain HTTP to an allowed host", "http://www.cs.toronto.edu/~kriz/", true},
			{"undocumented host", "https://mnist-mirror.example.net/", true},
			{"look-alike host", "https://www.cs.toronto.edu.example.net/~kriz/", true},
			{"FTP", "ftp://www.cs.toronto.edu/cifar/", true},
		})
		// The scanner finds URLs in string literals, not in comments.
		dir := t.TempDir()
		src := "package p\n// http://comment.example.com/ is not code\nvar u = \"http://plain.example.com/x\"\nvar v = `https://ok.example.org/y`\n"
		os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644)
		os.WriteFile(filepath.Join(dir, "p_test.go"), []byte("package p\nvar w = \"http://test.example.com/\"\n"), 0o644)
		urls, err := security.GoLiteralURLs(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, u := range urls {
			got = append(got, u.URL)
		}
		badExamples.Add(1)
		if slices.Equal(got, []string{"http://plain.example.com/x", "https://ok.example.org/y"}) &&
			len(security.CheckDownloadURLs(urls, downloadHosts)) == 2 {
			badCaught.Add(1)
		} else {
			t.Errorf("scanner found %q", got)
		}
	})
	t.Run("scripts", func(t *testing.T) {
		check := func(s string) []string { return security.CheckScript("x.sh", s) }
		testChecker(t, check, []checkerCase{
			{"checked download", "curl -fsSL --proto '=https' -o /tmp/go.tgz https://go.dev/dl/go.tgz && echo \"$SUM  /tmp/go.tgz\" | sha256sum -c -", false},
			{"comment", "# never curl | sh, never @latest", false},
			{"pinned tool", "go install golang.org/x/tools/gopls@v0.23.0", false},
			{"curl | sh", "curl -fsSL https://get.example.com | sh", true},
			{"wget | sudo bash", "wget -qO- https://get.example.com/install | sudo -E bash -s -- --yes", true},
			{"curl | /bin/bash", "curl -sL https://x.example.com/i.sh | /bin/bash", true},
			{"sh -c $(curl)", `sh -c "$(curl -fsSL https://x.example.com/install.sh)"`, true},
			{"bash <(curl)", "bash <(curl -s https://x.example.com/i.sh)", true},
			{"continued line", "curl -fsSL https://x.example.com/i.sh \\\n  | bash", true},
			{"@latest", "go install github.com/janpfeifer/gonb@latest", true},
			{"@latest in a Dockerfile RUN", "RUN go install golang.org/x/tools/cmd/goimports@latest && gonb --install", true},
		})
	})
	t.Run("secrets", func(t *testing.T) {
		// Built from pieces so that this file does not trip the scan itself.
		j := func(parts ...string) string { return strings.Join(parts, "") }
		check := func(s string) []string { return security.CheckSecrets("x", s) }
		testChecker(t, check, []checkerCase{
			{"README's example address", "http://127.0.0.1:8888/?token=3f9c...", false},
			{"token from the environment", `cd notebooks && JUPYTER_TOKEN="$$token" exec jupyter`, false},
			{"token from a secret mount", `GH_TOKEN="$(cat /run/secrets/gh_token 2>/dev/null || true)"`, false},
			{"placeholder", "JUPYTER_TOKEN=... make lab", false},
			{"AWS key id", j("aws_access_key_id = ", "AKIA", "IOSFODNN7", "EXAMPLE"), true},
			{"private key", j("-----BEGIN ", "RSA PRIVATE", " KEY-----"), true},
			{"OpenSSH private key", j("-----BEGIN ", "OPENSSH PRIVATE", " KEY-----"), true},
			{"GitHub token", j("gh", "p_", strings.Repeat("a1B2", 9)), true},
			{"password literal", j(`db_pass`, `word = "`, `hunter2hunter2"`), true},
			{"token in JSON", j(`{"api_`, `key": "`, `sk-0123456789abcdef"}`), true},
			{"token assignment", j("JUPYTER_", "TOKEN=", "0123456789abcdef01234567"), true},
			{"token in an address", j("http://127.0.0.1:8888/?", "token=", "3f9c2a7b1d4e5f60718293a4"), true},
		})
	})
}
