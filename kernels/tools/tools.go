// Package tools pins the command-line programs the notebooks run on: the
// GoNB kernel, goimports and gopls. It is a module of its own so that the
// versions gopls needs (golang.org/x/tools) never fight with the versions the
// juanji packages need. kernels/install.sh builds them with `go install tool`.
//
// To move to a new GoNB: `go get -tool github.com/janpfeifer/gonb@vX.Y.Z` here
// and `go get github.com/janpfeifer/gonb@vX.Y.Z` at the repository root, so
// that the kernel and the gonbui package the notebooks import agree.
package tools
