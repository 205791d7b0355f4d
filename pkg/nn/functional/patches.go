package functional

// GoMLX's gradients of DotGeneral and Slice are replaced process-wide by
// internal/gomlxpatch (the portable convolution and pooling need the Slice
// rule on the pure-Go backend); importing it installs them.
import _ "github.com/juanji/juanji/internal/gomlxpatch"
