package device_test

import (
	"fmt"

	"github.com/juanji/juanji/pkg/device"
)

// The document's `print(try_gpu())`: TryGPU prints "cuda:0" on a machine
// with an NVIDIA GPU and a CUDA PJRT plugin, else a cpu line naming the
// engine, e.g. `cpu (pure Go backend "go", 2 cores)`.
func ExampleTryGPU() {
	backend := device.TryGPU()
	for epoch := 1; epoch <= 2; epoch++ {
		fmt.Printf("start train epoch: %d, calculate on %s\n", epoch, device.Describe(backend))
	}
}

// Select makes the same choice silently and returns the failure of a forced
// choice (JUANJI_DEVICE, GOMLX_BACKEND) as an error.
func ExampleSelect() {
	d, err := device.Select(0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Name, "--", d.Engine, "--", d.Config)
}

// The document's `!nvidia-smi` cell.
func ExamplePrintReport() {
	device.PrintReport()
}

func ExampleDevice_Summary() {
	gpu := device.Device{Name: "cuda:0", Engine: "XLA PJRT CUDA plugin"}
	cpu := device.Device{Name: "cpu", Engine: "XLA PJRT CPU plugin"}
	fmt.Println(gpu.Summary())
	fmt.Println(cpu.Summary())
	fmt.Printf("calculate on %s\n", cpu)
	// Output:
	// cuda:0
	// cpu (XLA PJRT CPU plugin)
	// calculate on cpu
}
