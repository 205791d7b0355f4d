package dockercheck

import (
	"path/filepath"
	"strings"
	"testing"
)

// root is the checkout, two folders up from this package.
var root = filepath.Join("..", "..")

func load(t *testing.T) *Project {
	t.Helper()
	p, err := Load(root)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

// TestRules runs every rule on the real files: none may find anything.
func TestRules(t *testing.T) {
	p := load(t)
	for _, r := range Rules {
		t.Run(r.Name, func(t *testing.T) {
			for _, f := range r.Check(p) {
				t.Errorf("%s (rule: %s)", f, r.Doc)
			}
		})
	}
}

// breakage is a change to the real files that one rule must catch.
type breakage struct {
	rule string
	name string
	// file is what to change: "Dockerfile", "entrypoint", "requirements",
	// "dockerignore", "go.mod", "tools", or a path to add to the secret scan.
	file string
	// old is replaced by new; old must be in the file ("" appends new).
	old, new string
}

var breakages = []breakage{
	// install-script
	{"install-script", "no install.sh", "Dockerfile", "RUN kernels/install.sh \\", "RUN true \\"},
	{"install-script", "own GoNB set-up", "Dockerfile", "RUN go build ./... \\", "RUN go install github.com/janpfeifer/gonb@v0.11.1 && gonb --install \\\n && go build ./... \\"},

	// versions
	{"versions", "gomlx drift", "Dockerfile", "ARG GOMLX_VERSION=v0.26.0", "ARG GOMLX_VERSION=v0.25.0"},
	{"versions", "go-xla drift", "Dockerfile", "ARG GO_XLA_VERSION=v0.1.4", "ARG GO_XLA_VERSION=v0.1.3"},
	{"versions", "gonb drift", "Dockerfile", "ARG GONB_VERSION=v0.11.1", "ARG GONB_VERSION=v0.11.0"},
	{"versions", "gonb missing", "Dockerfile", "ARG GONB_VERSION=v0.11.1", "ARG GONB=v0.11.1"},
	{"versions", "kernel tools drift", "tools", "github.com/janpfeifer/gonb v0.11.1", "github.com/janpfeifer/gonb v0.12.0"},
	{"versions", "go minor", "Dockerfile", "ARG GO_VERSION=1.26.8", "ARG GO_VERSION=1.25.9"},
	{"versions", "go inexact", "Dockerfile", "ARG GO_VERSION=1.26.8", "ARG GO_VERSION=1.26"},
	{"versions", "go older than go.mod", "go.mod", "go 1.26.0", "go 1.26.9"},
	{"versions", "go sha256", "Dockerfile", "ARG GO_SHA256=d0f7", "ARG GO_SHA256=zz"},
	{"versions", "module@version", "Dockerfile", "RUN go build ./... \\", "RUN go run github.com/gomlx/go-xla/cmd/pjrt_installer@v0.1.2 \\\n && go build ./... \\"},
	{"versions", "module@version in a script", "entrypoint", "cd \"$root\"", "go run golang.org/x/tools/gopls@v0.22.0 version\ncd \"$root\""},

	// no-latest
	{"no-latest", "@latest", "Dockerfile", "RUN go build ./... \\", "RUN go install golang.org/x/tools/cmd/goimports@latest \\\n && go build ./... \\"},
	{"no-latest", "ARG latest", "Dockerfile", "ARG JAX_CUDA13_VERSION=0.8.1", "ARG JAX_CUDA13_VERSION=latest"},
	{"no-latest", "script", "entrypoint", "cd \"$root\"", "pip install --upgrade jupyterlab==latest\ncd \"$root\""},

	// no-piped-installer
	{"no-piped-installer", "curl | sh", "Dockerfile", "RUN go build ./... \\", "RUN curl -fsSL https://example.com/install.sh | sh \\\n && go build ./... \\"},
	{"no-piped-installer", "wget | sudo bash", "Dockerfile", "RUN go build ./... \\", "RUN wget -qO- https://example.com/i | sudo bash -s -- -y \\\n && go build ./... \\"},
	{"no-piped-installer", "sh -c $(curl)", "Dockerfile", "RUN go build ./... \\", "RUN sh -c \"$(curl -fsSL https://example.com/i)\" \\\n && go build ./... \\"},
	{"no-piped-installer", "curl | python3", "entrypoint", "cd \"$root\"", "curl -s https://example.com/get-pip.py | python3 -\ncd \"$root\""},
	{"no-piped-installer", "ADD http", "Dockerfile", "EXPOSE 8888", "ADD https://example.com/tool.tgz /tmp/\nEXPOSE 8888"},

	// downloads-verified
	{"downloads-verified", "no sha256sum", "Dockerfile", ` && echo "${GO_SHA256}  /tmp/go.tgz" | sha256sum -c - \`, ` \`},
	{"downloads-verified", "wget", "Dockerfile", "RUN go build ./... \\", "RUN wget -q https://example.com/x.tgz \\\n && go build ./... \\"},

	// non-root-user
	{"non-root-user", "USER root", "Dockerfile", "USER ${USER_UID}:${USER_UID}", "USER root"},
	{"non-root-user", "USER 0", "Dockerfile", "USER ${USER_UID}:${USER_UID}", "USER 0:0"},
	{"non-root-user", "uid ARG 0", "Dockerfile", "ARG USER_UID=1000", "ARG USER_UID=0"},
	{"non-root-user", "no USER", "Dockerfile", "USER ${USER_UID}:${USER_UID}", ""},
	{"non-root-user", "USER root at the end", "Dockerfile", "ENTRYPOINT [", "USER root\nENTRYPOINT ["},
	{"non-root-user", "--allow-root", "entrypoint", "  --no-browser \\", "  --no-browser --allow-root \\"},

	// jupyter-token
	{"jupyter-token", "ServerApp.token=''", "entrypoint", "  --no-browser \\", "  --no-browser --ServerApp.token='' \\"},
	{"jupyter-token", "NotebookApp.token=\"\"", "entrypoint", "  --no-browser \\", "  --no-browser --NotebookApp.token=\"\" \\"},
	{"jupyter-token", "IdentityProvider.token=", "entrypoint", "  --no-browser \\", "  --no-browser --IdentityProvider.token= \\"},
	{"jupyter-token", "password=''", "entrypoint", "  --no-browser \\", "  --no-browser --ServerApp.password='' \\"},
	{"jupyter-token", "ENV JUPYTER_TOKEN empty", "Dockerfile", "    JUANJI_DATA=/data", "    JUANJI_DATA=/data \\\n    JUPYTER_TOKEN=\"\""},
	{"jupyter-token", "no --ip", "entrypoint", "  --ip=0.0.0.0 \\\n", ""},
	{"jupyter-token", "no random token", "entrypoint", "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \\n')", "fixed-but-long-enough"},
	{"jupyter-token", "xsrf off", "entrypoint", "  --no-browser \\", "  --no-browser --ServerApp.disable_check_xsrf=True \\"},
	{"jupyter-token", "Jupyter not started", "entrypoint", "exec jupyter lab", "exec python3 -m http.server"},

	// base-image-pinned
	{"base-image-pinned", "latest", "Dockerfile", "ARG DEBIAN_IMAGE=debian:12.15-slim", "ARG DEBIAN_IMAGE=debian:latest"},
	{"base-image-pinned", "untagged", "Dockerfile", "ARG DEBIAN_IMAGE=debian:12.15-slim", "ARG DEBIAN_IMAGE=debian"},
	{"base-image-pinned", "ARG without default", "Dockerfile", "ARG DEBIAN_IMAGE=debian:12.15-slim", "ARG DEBIAN_IMAGE"},
	{"base-image-pinned", "registry:port untagged", "Dockerfile", "FROM ${DEBIAN_IMAGE} AS jupyter", "FROM registry.local:5000/python AS jupyter"},

	// no-secrets
	{"no-secrets", "AWS key id", "docker/notes.txt", "", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"},
	{"no-secrets", "AWS secret", ".ci/env", "", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
	{"no-secrets", "private key", "kernels/id_rsa", "", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"},
	{"no-secrets", "GitHub token", "Makefile", "", "GH_TOKEN ?= ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
	{"no-secrets", "token in Makefile", "Makefile", "", "JUPYTER_TOKEN ?= 3f9c2a7b1d5e"},
	{"no-secrets", "password in ENV", "docker/Dockerfile", "", "ENV JUPYTER_PASSWORD=hunter2hunter2"},
	{"no-secrets", "yaml secret", ".ci/config.yml", "", "api_key: \"sk_live_0123456789abcdef\""},

	// image-basics
	{"image-basics", "no HEALTHCHECK", "Dockerfile", "HEALTHCHECK --interval", "# HEALTHCHECK --interval"},
	{"image-basics", "HEALTHCHECK NONE", "Dockerfile", "ENTRYPOINT [", "HEALTHCHECK NONE\nENTRYPOINT ["},
	{"image-basics", "no EXPOSE", "Dockerfile", "EXPOSE 8888", "EXPOSE 8080"},
	{"image-basics", "volume elsewhere", "Dockerfile", `VOLUME ["/data"]`, `VOLUME ["/home/juanji/data"]`},
	{"image-basics", "no JUANJI_DATA", "Dockerfile", "    JUANJI_DATA=/data", "    JUANJI=/data"},
	{"image-basics", "auto-install on", "Dockerfile", "    GOMLX_NO_AUTO_INSTALL=1 \\\n", ""},

	// dockerignore
	{"dockerignore", "data", "dockerignore", "\ndata\n", "\n"},
	{"dockerignore", ".git", "dockerignore", "\n.git\n", "\n"},
	{"dockerignore", "missing", "dockerignore", "*", "#"},

	// entrypoint
	{"entrypoint", "not executable", "entrypoint-mode", "", ""},
	{"entrypoint", "no script", "Dockerfile", `"/home/juanji/juanji/docker/entrypoint.sh"`, `"jupyter", "lab", "--ip=0.0.0.0"`},

	// requirements-pinned
	{"requirements-pinned", "range", "requirements", "jupyterlab==4.6.6", "jupyterlab>=4.6"},
	{"requirements-pinned", "unpinned", "requirements", "nbclient==0.11.0", "nbclient"},
	{"requirements-pinned", "url", "requirements", "pyzmq==27.3.0", "git+https://github.com/zeromq/pyzmq"},
}

// apply makes a broken copy of p.
func (b breakage) apply(t *testing.T, p *Project) *Project {
	t.Helper()
	q := *p
	q.Scripts = clone(p.Scripts)
	q.Executable = map[string]bool{}
	for k, v := range p.Executable {
		q.Executable[k] = v
	}
	q.SecretScan = clone(p.SecretScan)
	q.GoMod, q.ToolsGoMod = clone(p.GoMod), clone(p.ToolsGoMod)
	replace := func(text string) string {
		t.Helper()
		if b.old == "" {
			return text + "\n" + b.new + "\n"
		}
		if b.old == "*" {
			return b.new
		}
		if !strings.Contains(text, b.old) {
			t.Fatalf("the file no longer holds %q: update this breakage", b.old)
		}
		return strings.Replace(text, b.old, b.new, 1)
	}
	switch b.file {
	case "Dockerfile":
		q.DockerfileText = replace(p.DockerfileText)
		df, err := ParseDockerfile(q.DockerfileText)
		if err != nil {
			t.Fatalf("broken Dockerfile does not parse: %v", err)
		}
		q.Dockerfile = df
		// A Dockerfile that runs no script of the checkout has none.
		if !strings.Contains(q.DockerfileText, checkoutPath+"docker/entrypoint.sh") {
			q.Scripts, q.Executable = map[string]string{}, map[string]bool{}
		}
	case "entrypoint":
		q.Scripts["docker/entrypoint.sh"] = replace(p.Scripts["docker/entrypoint.sh"])
	case "entrypoint-mode":
		q.Executable["docker/entrypoint.sh"] = false
	case "requirements":
		q.Requirements = replace(p.Requirements)
	case "dockerignore":
		q.DockerIgnore = replace(p.DockerIgnore)
	case "go.mod":
		q.GoMod, q.GoDirective = parseGoMod(replace("go " + p.GoDirective + "\n"))
		for k, v := range p.GoMod {
			q.GoMod[k] = v
		}
	case "tools":
		var b strings.Builder
		b.WriteString("require (\n")
		for k, v := range p.ToolsGoMod {
			b.WriteString("\t" + k + " " + v + "\n")
		}
		b.WriteString(")\n")
		q.ToolsGoMod, _ = parseGoMod(replace(b.String()))
	default:
		q.SecretScan[b.file] = replace(q.SecretScan[b.file])
	}
	return &q
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestRulesCanFail breaks the real files one way at a time: the rule meant to
// catch each breakage must report it.
func TestRulesCanFail(t *testing.T) {
	p := load(t)
	rules := map[string]Rule{}
	for _, r := range Rules {
		rules[r.Name] = r
	}
	covered := map[string]bool{}
	for _, b := range breakages {
		t.Run(b.rule+"/"+b.name, func(t *testing.T) {
			r, ok := rules[b.rule]
			if !ok {
				t.Fatalf("no rule %q", b.rule)
			}
			covered[b.rule] = true
			if findings := r.Check(b.apply(t, p)); len(findings) == 0 {
				t.Errorf("rule %s found nothing wrong after %q -> %q in %s", b.rule, b.old, b.new, b.file)
			} else {
				t.Logf("caught: %s", findings[0])
			}
		})
	}
	for _, r := range Rules {
		if !covered[r.Name] {
			t.Errorf("rule %s has no breakage showing it can fail", r.Name)
		}
	}
}

func TestParseDockerfile(t *testing.T) {
	df, err := ParseDockerfile(`# syntax=docker/dockerfile:1
ARG BASE=debian:12.15-slim
FROM ${BASE} AS build
# a comment
RUN echo a \
    # a comment inside the instruction
 && echo b
FROM --platform=linux/amd64 build
USER 1000:1000
CMD ["bash", "-c", "echo \"hi\""]
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(df.Stages); got != 2 || df.Stages[0].Name != "build" || df.Stages[1].Image != "build" {
		t.Fatalf("stages = %+v", df.Stages)
	}
	if got := df.Expand(df.Stages[0].Image); got != "debian:12.15-slim" {
		t.Errorf("Expand(%q) = %q", df.Stages[0].Image, got)
	}
	run := df.Each("RUN")
	if len(run) != 1 || run[0].Args != "echo a && echo b" || run[0].Line != 5 || run[0].Stage != 0 {
		t.Errorf("RUN = %+v", run)
	}
	if words := execWords(df.Each("CMD")[0].Args); strings.Join(words, "|") != `bash|-c|echo \"hi\"` {
		t.Errorf("CMD words = %q", words)
	}
	if _, err := ParseDockerfile("RUN true \\"); err == nil {
		t.Error("a dangling backslash parsed without error")
	}
}

// TestCheck shows the report of a broken copy, one line a finding.
func TestCheck(t *testing.T) {
	p := load(t)
	if got := Check(p); len(got) != 0 {
		t.Fatalf("Check(real files) = %q", got)
	}
	b := breakage{"non-root-user", "USER root", "Dockerfile", "USER ${USER_UID}:${USER_UID}", "USER root"}
	got := Check(b.apply(t, p))
	if len(got) != 1 || !strings.HasPrefix(got[0], "non-root-user: docker/Dockerfile:") {
		t.Errorf("Check(USER root) = %q, want one non-root-user finding", got)
	}
}
