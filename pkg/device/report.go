package device

import (
	"bufio"
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Report is the Go counterpart of the document's `!nvidia-smi` cell. Where
// nvidia-smi exists it returns its output (it is given 10 seconds). Elsewhere,
// or if it fails, it describes the machine the notebook computes on: the
// backend chosen by TryGPU or Select in this program (if any), the CPU model
// (/proc/cpuinfo), the cores, the memory (/proc/meminfo), the Go version and
// GOMAXPROCS.
func Report() string { return system.report() }

// PrintReport prints [Report].
func PrintReport() { fmt.Print(system.report()) }

// report implements Report.
func (p *probe) report() string {
	var b strings.Builder
	if smi, err := p.lookPath("nvidia-smi"); err == nil {
		out, err := p.run(10*time.Second, smi)
		if err == nil {
			return string(out)
		}
		fmt.Fprintf(&b, "nvidia-smi failed: %v\n", err)
		if msg := strings.TrimSpace(string(out)); msg != "" {
			fmt.Fprintf(&b, "%s\n", firstLine(msg))
		}
	} else {
		b.WriteString("nvidia-smi: not found, no NVIDIA GPU driver here: computing on the CPU.\n")
	}
	b.WriteString("\n")
	row := func(key, value string) { fmt.Fprintf(&b, "%-9s %s\n", key+":", value) }

	if d, ok := p.reg.latest(); ok {
		row("Device", fmt.Sprintf("%s  [backend %s]", d.Summary(), d.Config))
	} else {
		row("Device", "none chosen yet in this program (device.TryGPU() chooses one)")
	}
	cpuinfo, err := p.readFile("/proc/cpuinfo")
	if err == nil {
		if model := cpuModel(cpuinfo); model != "" {
			row("CPU", model)
		}
	}
	row("Cores", fmt.Sprintf("%d logical CPUs, GOMAXPROCS=%d", p.numCPU(), p.gomaxprocs()))
	if meminfo, err := p.readFile("/proc/meminfo"); err == nil {
		if total, avail, ok := memory(meminfo); ok {
			row("Memory", fmt.Sprintf("%s total, %s available", gib(total), gib(avail)))
		}
	}
	row("Go", fmt.Sprintf("%s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH))
	return b.String()
}

// cpuModel returns the CPU model named in /proc/cpuinfo ("model name" on
// x86, "Model" or "Hardware" on ARM), "" if none.
func cpuModel(cpuinfo []byte) string {
	found := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if _, seen := found[key]; !seen && value != "" {
			found[key] = value
		}
	}
	for _, key := range []string{"model name", "Model", "Hardware", "cpu model"} {
		if v := found[key]; v != "" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// memory returns MemTotal and MemAvailable from /proc/meminfo, in bytes.
func memory(meminfo []byte) (total, available uint64, ok bool) {
	var haveTotal, haveAvail bool
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, err := strconv.ParseUint(fields[1], 10, 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "MemTotal:":
			total, haveTotal = kb*1024, true
		case "MemAvailable:":
			available, haveAvail = kb*1024, true
		}
	}
	return total, available, haveTotal && haveAvail
}

// gib formats a byte count in GiB.
func gib(n uint64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }
