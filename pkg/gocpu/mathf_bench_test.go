package gocpu

import "testing"

func BenchmarkLogisticF32(b *testing.B) {
	x := make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%200-100) / 10
	}
	y := make([]float32, len(x))
	for b.Loop() {
		logistic(y, x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
}

func BenchmarkExpF32(b *testing.B) {
	x := make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%200-100) / 10
	}
	y := make([]float32, len(x))
	for b.Loop() {
		for i, v := range x {
			y[i] = expf32(v)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
}
