// Package dockercheck reads docker/Dockerfile and the files the image is made
// from, and checks the rules the juanji image keeps: the one kernels/install.sh,
// versions equal to go.mod's, no @latest, no piped installers, a non-root user,
// Jupyter with a token, a pinned base image, no secrets. Its test runs every
// rule on the real files (`go test ./...`), and on broken copies of them to
// show that each rule can fail.
package dockercheck

import (
	"fmt"
	"regexp"
	"strings"
)

// Instruction is one Dockerfile instruction, continuation lines joined.
type Instruction struct {
	// Line is the number of its first line (from 1).
	Line int
	// Cmd is the instruction, upper case: FROM, RUN, USER, ...
	Cmd string
	// Args is the rest of the instruction: continuation lines joined with a
	// space, comment lines inside it left out.
	Args string
	// Stage is the index of the build stage it belongs to (-1 before the first FROM).
	Stage int
}

// Stage is one FROM and what follows it.
type Stage struct {
	// Name is the name after AS ("" when none).
	Name string
	// Image is the FROM image as written, before ARG expansion.
	Image string
	// Line is the line of the FROM.
	Line int
}

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	Instructions []Instruction
	Stages       []Stage
	// Args holds the default of every ARG that has one (a later default for
	// the same name replaces an earlier one).
	Args map[string]string
}

// ParseDockerfile parses Dockerfile text: instructions, stages and ARG
// defaults. It knows what these rules need: comments, parser directives,
// backslash continuations, `FROM image [AS name]` and `ARG NAME[=value]`; it
// does not expand heredocs.
func ParseDockerfile(text string) (*Dockerfile, error) {
	df := &Dockerfile{Args: map[string]string{}}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	stage := -1
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		start := i + 1
		var parts []string
		for {
			cont := strings.HasSuffix(line, `\`)
			if cont {
				line = strings.TrimSuffix(line, `\`)
			}
			parts = append(parts, strings.TrimSpace(line))
			if !cont {
				break
			}
			// Next line, skipping comment and empty lines inside the instruction.
			for {
				i++
				if i >= len(lines) {
					return nil, fmt.Errorf("line %d: the instruction ends with a backslash at the end of the file", start)
				}
				line = strings.TrimSpace(lines[i])
				if line != "" && !strings.HasPrefix(line, "#") {
					break
				}
			}
		}
		joined := strings.Join(parts, " ")
		cmd, args, _ := strings.Cut(joined, " ")
		cmd = strings.ToUpper(cmd)
		args = strings.TrimSpace(args)
		switch cmd {
		case "FROM":
			f := strings.Fields(removeFlags(args))
			if len(f) == 0 {
				return nil, fmt.Errorf("line %d: FROM without an image", start)
			}
			s := Stage{Image: f[0], Line: start}
			if len(f) >= 3 && strings.EqualFold(f[1], "AS") {
				s.Name = f[2]
			}
			df.Stages = append(df.Stages, s)
			stage++
		case "ARG":
			for _, a := range strings.Fields(args) {
				if name, value, ok := strings.Cut(a, "="); ok {
					df.Args[name] = unquote(value)
				}
			}
		}
		df.Instructions = append(df.Instructions, Instruction{Line: start, Cmd: cmd, Args: args, Stage: stage})
	}
	if len(df.Stages) == 0 {
		return nil, fmt.Errorf("no FROM instruction")
	}
	return df, nil
}

// removeFlags drops leading --flag=value words (FROM --platform=..., COPY --chown=...).
func removeFlags(args string) string {
	f := strings.Fields(args)
	for len(f) > 0 && strings.HasPrefix(f[0], "--") {
		f = f[1:]
	}
	return strings.Join(f, " ")
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

var argRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// Expand replaces $NAME and ${NAME} by the ARG defaults; unknown names are
// left as they are.
func (df *Dockerfile) Expand(s string) string {
	return argRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := argRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		if v, ok := df.Args[name]; ok {
			return v
		}
		return ref
	})
}

// Final returns the index of the last stage, the image that is built.
func (df *Dockerfile) Final() int { return len(df.Stages) - 1 }

// Each returns the instructions named cmd, in order.
func (df *Dockerfile) Each(cmd string) []Instruction {
	var out []Instruction
	for _, in := range df.Instructions {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// execWords returns the words of an exec-form (JSON array) or shell-form
// argument list of CMD / ENTRYPOINT / HEALTHCHECK CMD.
func execWords(args string) []string {
	a := strings.TrimSpace(args)
	if strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]") {
		var words []string
		for _, m := range regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(a, -1) {
			words = append(words, m[1])
		}
		return words
	}
	return strings.Fields(a)
}
