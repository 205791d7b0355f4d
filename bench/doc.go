// Package bench holds no Go code of its own: its test rehearses bench/gpu-check.sh, the script
// for a GPU machine, on the CPU (see bench/README.md). The programs the script runs live in
// ../cmd/juanji-bench and ./pjrt-probe.
package bench
