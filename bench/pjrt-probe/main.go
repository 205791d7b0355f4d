// Command pjrt-probe checks that a GoMLX backend (an XLA PJRT plugin on a GPU machine) loads,
// computes a convolution and its gradients correctly, and how fast it multiplies matrices.
//
// It depends on GoMLX only (not on juanji's packages), so bench/gpu-check.sh can tell
// "the plugin does not load" apart from "our benchmark fails". The backend comes from
// -backend, else from $GOMLX_BACKEND (e.g. "xla:cuda"), else GoMLX's default.
//
// Output, one `probe key=value ...` line per check, the verdict last:
//
//	probe pjrt plugin="/…/xla_cuda_plugin.so" dlopen=ok plugin_api=0.83 headers_api=0.83 plugin_api_struct_size=1000 headers_api_struct_size=1000 compare=same
//	probe backend=xla description="..." devices=1
//	probe check=conv dtype=float32 y_err=... gk_err=... gx_err=... tol=... ok=yes
//	probe bench=matmul dtype=float32 n=4096 iters=20 gflops=...
//	probe verdict=ok plugin_api=0.83 headers_api=0.83 gradients=yes
//
// The `pjrt` line comes first, within a second: the plugin (-plugin, else the one the
// configuration names) is opened with dlopen and its PJRT version read before go-xla calls it,
// so a library that does not load shows dlerror()'s message, and a plugin built from newer PJRT
// headers than go-xla v0.1.4's (0.83) is named with both versions. The verdict is one of ok,
// dlopen_failed, backend_failed, struct_size_mismatch (PJRT said a struct had the wrong size:
// the plugin is too new or too old for go-xla), wrong_values, no_gradients (with
// -require-gradients, a backend that cannot differentiate convolutions), error.
//
// Errors are relative: max|got-want| / max|want|, against float64 loops in Go.
// The exit status is 0 for verdict=ok, 2 when the plugin does not load, 1 otherwise.
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/default"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	timage "github.com/gomlx/gomlx/pkg/core/tensors/images"
)

func main() {
	backendCfg := flag.String("backend", "", `backend configuration (default: $GOMLX_BACKEND, else GoMLX's default), e.g. "xla:cuda" or "go"`)
	plugin := flag.String("plugin", "", "PJRT plugin to inspect with dlopen first (default: the one the configuration names, if any)")
	requireGrads := flag.Bool("require-gradients", false, "fail unless the convolution's gradients ran (the pure-Go backend cannot)")
	n := flag.Int("n", 4096, "matrix size for the matmul benchmark (0 skips it)")
	iters := flag.Int("iters", 20, "timed matmul iterations")
	flag.Parse()

	config := *backendCfg
	if config == "" {
		config = os.Getenv("GOMLX_BACKEND")
	}
	path := *plugin
	if path == "" {
		path = pluginPath(config)
	}
	var info pluginInfo
	if path != "" {
		info = inspectPlugin(path)
		fmt.Println(info.Line())
		if !info.Loaded() {
			verdict("dlopen_failed", info, "")
			os.Exit(2)
		}
	} else {
		info.DlopenErr = "not inspected"
	}

	backend, err := newBackend(*backendCfg)
	if err != nil {
		fmt.Printf("probe backend=error error=%q\n", err.Error())
		v := "backend_failed"
		if isStructSizeError(err.Error()) {
			v = "struct_size_mismatch"
		}
		verdict(v, info, fmt.Sprintf("error=%q", firstLine(err.Error())))
		os.Exit(1)
	}
	fmt.Printf("probe backend=%q description=%q devices=%d gomlx_backend_env=%q\n",
		backend.Name(), backend.Description(), backend.NumDevices(), os.Getenv("GOMLX_BACKEND"))

	v, detail := "ok", ""
	grads := true
	for _, dt := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
		r := checkConv(backend, dt)
		grads = grads && r.grads
		switch {
		case r.err != "" && isStructSizeError(r.err):
			v, detail = "struct_size_mismatch", fmt.Sprintf("error=%q", firstLine(r.err))
		case r.err != "" && v == "ok":
			v, detail = "error", fmt.Sprintf("error=%q", firstLine(r.err))
		case !r.ok && v == "ok":
			v = "wrong_values"
		}
	}
	if v == "ok" && *requireGrads && !grads {
		v = "no_gradients"
	}
	if *n > 0 && v == "ok" {
		if msg := benchMatMul(backend, *n, *iters); msg != "" {
			v, detail = "error", fmt.Sprintf("error=%q", firstLine(msg))
			if isStructSizeError(msg) {
				v = "struct_size_mismatch"
			}
		}
	}
	verdict(v, info, strings.TrimSpace("gradients="+yesNo(grads)+" "+detail))
	if v != "ok" {
		os.Exit(1)
	}
}

// verdict prints the probe's last line.
func verdict(v string, info pluginInfo, extra string) {
	fmt.Println(strings.TrimSpace(fmt.Sprintf("probe verdict=%s %s %s", v, info.Versions(), extra)))
}

// firstLine returns s up to its first newline (go-xla errors carry stack traces).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// newBackend creates the backend, turning a panic (go-xla v0.1.4 dereferences a nil plugin when
// a plugin's GetPjrtApi returns NULL) into an error.
func newBackend(config string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while creating the backend: %v", r)
		}
	}()
	if config != "" {
		return backends.NewWithConfig(config)
	}
	return backends.New()
}

// Convolution shapes, NCHW like PyTorch: x [B,C,H,W], kernel [O,C,K,K], stride 1, padding P.
const (
	cB, cC, cH, cW, cO, cK, cP = 4, 3, 12, 12, 8, 3, 1
)

// convResult is one convolution check: values within tolerance, gradients computed, the error
// (a panic's message) if it failed to run.
type convResult struct {
	ok, grads bool
	err       string
}

// checkConv compares y = conv(x, k), d(½Σy²)/dk and d(½Σy²)/dx with float64 loops.
func checkConv(backend backends.Backend, dt dtypes.DType) (res convResult) {
	defer func() {
		if r := recover(); r != nil {
			res = convResult{err: fmt.Sprint(r)}
			fmt.Printf("probe check=conv dtype=%s ok=no error=%q\n", dt, firstLine(res.err))
		}
	}()
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, cB*cC*cH*cW)
	k := make([]float64, cO*cC*cK*cK)
	for i := range x {
		x[i] = 2*r.Float64() - 1
	}
	for i := range k {
		k[i] = 2*r.Float64() - 1
	}
	wantY, wantGK, wantGX := convReference(x, k)
	// The pure-Go backend runs convolution forward only (its gradient needs Reverse).
	grads := backend.Capabilities().Operations[backends.OpTypeReverse]

	outs := MustExecOnceN(backend, func(xn, kn *Node) (*Node, *Node, *Node) {
		xn, kn = ConvertDType(xn, dt), ConvertDType(kn, dt)
		y := Convolve(xn, kn).ChannelsAxis(timage.ChannelsFirst).Strides(1).
			PaddingPerDim([][2]int{{cP, cP}, {cP, cP}}).Done()
		if !grads {
			return ConvertDType(y, dtypes.Float64), ZerosLike(ConvertDType(kn, dtypes.Float64)), ZerosLike(ConvertDType(xn, dtypes.Float64))
		}
		loss := MulScalar(ReduceAllSum(Square(y)), 0.5)
		g := Gradient(loss, kn, xn)
		return ConvertDType(y, dtypes.Float64), ConvertDType(g[0], dtypes.Float64), ConvertDType(g[1], dtypes.Float64)
	}, tensors.FromFlatDataAndDimensions(x, cB, cC, cH, cW), tensors.FromFlatDataAndDimensions(k, cO, cC, cK, cK))

	yErr := relErr(tensors.MustCopyFlatData[float64](outs[0]), wantY)
	gkErr, gxErr := math.NaN(), math.NaN()
	if grads {
		gkErr = relErr(tensors.MustCopyFlatData[float64](outs[1]), wantGK)
		gxErr = relErr(tensors.MustCopyFlatData[float64](outs[2]), wantGX)
	}
	// float32 on GPUs may use TF32 (10-bit mantissa) for convolutions: allow for it, report the figure.
	tol := 1e-9
	if dt == dtypes.Float32 {
		tol = 1e-2
	}
	ok := yErr <= tol && (!grads || (gkErr <= tol && gxErr <= tol))
	fmt.Printf("probe check=conv dtype=%s shape_x=%dx%dx%dx%d shape_k=%dx%dx%dx%d gradients=%s y_err=%.3g gk_err=%.3g gx_err=%.3g tol=%g ok=%s\n",
		dt, cB, cC, cH, cW, cO, cC, cK, cK, yesNo(grads), yErr, gkErr, gxErr, tol, yesNo(ok))
	return convResult{ok: ok, grads: grads}
}

// convReference returns y, dL/dk and dL/dx for L = ½Σy², by direct loops.
func convReference(x, k []float64) (y, gk, gx []float64) {
	ho, wo := cH+2*cP-cK+1, cW+2*cP-cK+1
	y = make([]float64, cB*cO*ho*wo)
	gk = make([]float64, len(k))
	gx = make([]float64, len(x))
	xi := func(b, c, h, w int) int { return ((b*cC+c)*cH+h)*cW + w }
	ki := func(o, c, i, j int) int { return ((o*cC+c)*cK+i)*cK + j }
	yi := func(b, o, h, w int) int { return ((b*cO+o)*ho+h)*wo + w }
	for b := 0; b < cB; b++ {
		for o := 0; o < cO; o++ {
			for h := 0; h < ho; h++ {
				for w := 0; w < wo; w++ {
					s := 0.0
					for c := 0; c < cC; c++ {
						for i := 0; i < cK; i++ {
							for j := 0; j < cK; j++ {
								hh, ww := h+i-cP, w+j-cP
								if hh >= 0 && hh < cH && ww >= 0 && ww < cW {
									s += x[xi(b, c, hh, ww)] * k[ki(o, c, i, j)]
								}
							}
						}
					}
					y[yi(b, o, h, w)] = s
				}
			}
		}
	}
	// dL/dy = y.
	for b := 0; b < cB; b++ {
		for o := 0; o < cO; o++ {
			for h := 0; h < ho; h++ {
				for w := 0; w < wo; w++ {
					g := y[yi(b, o, h, w)]
					for c := 0; c < cC; c++ {
						for i := 0; i < cK; i++ {
							for j := 0; j < cK; j++ {
								hh, ww := h+i-cP, w+j-cP
								if hh >= 0 && hh < cH && ww >= 0 && ww < cW {
									gk[ki(o, c, i, j)] += g * x[xi(b, c, hh, ww)]
									gx[xi(b, c, hh, ww)] += g * k[ki(o, c, i, j)]
								}
							}
						}
					}
				}
			}
		}
	}
	return y, gk, gx
}

func relErr(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var maxDiff, maxWant float64
	for i := range got {
		maxDiff = math.Max(maxDiff, math.Abs(got[i]-want[i]))
		maxWant = math.Max(maxWant, math.Abs(want[i]))
	}
	if maxWant == 0 {
		return maxDiff
	}
	return maxDiff / maxWant
}

// benchMatMul times Σ(A·B) for n×n float32 matrices; the sum keeps the result on the device.
// It returns the error's message, "" when it ran.
func benchMatMul(backend backends.Backend, n, iters int) (errMsg string) {
	defer func() {
		if r := recover(); r != nil {
			errMsg = fmt.Sprint(r)
			fmt.Printf("probe bench=matmul ok=no error=%q\n", firstLine(errMsg))
		}
	}()
	r := rand.New(rand.NewPCG(3, 4))
	a := make([]float32, n*n)
	for i := range a {
		a[i] = r.Float32()
	}
	at := tensors.FromFlatDataAndDimensions(a, n, n)
	bt := tensors.FromFlatDataAndDimensions(a, n, n)
	exec := MustNewExec(backend, func(a, b *Node) *Node { return ReduceAllSum(MatMul(a, b)) })
	t0 := time.Now()
	exec.MustExec(at, bt)[0].FinalizeAll()
	compile := time.Since(t0)
	exec.MustExec(at, bt)[0].FinalizeAll() // inputs are on the device from here on
	t0 = time.Now()
	for range iters {
		out := exec.MustExec(at, bt)[0]
		_ = out.Value() // waits for the result
		out.FinalizeAll()
	}
	el := time.Since(t0)
	gflops := 2 * float64(n) * float64(n) * float64(n) * float64(iters) / el.Seconds() / 1e9
	fmt.Printf("probe bench=matmul dtype=float32 n=%d iters=%d first_call_s=%.2f ms_per_iter=%.3f gflops=%.1f ok=yes\n",
		n, iters, compile.Seconds(), 1000*el.Seconds()/float64(iters), gflops)
	return ""
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
