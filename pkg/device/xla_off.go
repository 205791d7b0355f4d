//go:build !cgo || !((linux && amd64) || darwin) || noxla

package device

// xlaCompiled tells whether the XLA backend is part of this build.
const xlaCompiled = false

// disableXLAAutoInstall does nothing: the XLA backend is not compiled in.
func disableXLAAutoInstall() {}
