//go:build cgo && ((linux && amd64) || darwin) && !noxla

package device

import "github.com/gomlx/gomlx/backends/xla"

// xlaCompiled tells whether the XLA backend is part of this build.
const xlaCompiled = true

// disableXLAAutoInstall stops GoMLX's XLA backend from downloading PJRT
// plugins when it is given a plugin name (not a path).
func disableXLAAutoInstall() { xla.EnableAutoInstall(false) }
