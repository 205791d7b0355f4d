// Package buildinfo reads what a program was built from.
package buildinfo

import "runtime/debug"

// ModuleVersion returns the version of module that this program was built
// with (its replacement's, if replaced), from its build information; "" when
// unknown: no build information, or module not among the dependencies
// (go test does not always record them for a package's test binary).
func ModuleVersion(module string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, dep := range info.Deps {
		if dep.Path == module {
			if dep.Replace != nil {
				return dep.Replace.Version
			}
			return dep.Version
		}
	}
	return ""
}
