package data

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// SyntheticSource is the Source of datasets made by SyntheticCIFAR10.
const SyntheticSource = "synthetic (generated, not real CIFAR-10)"

// SyntheticCIFAR10 makes n images in CIFAR-10's exact format (3×32×32
// bytes, labels 0..9, CIFAR10Classes) for machines without internet: each
// class is a colour with stripes at its own angle and spacing, shifted at
// random, with noise, so a network can learn it, but it is not CIFAR-10 and
// accuracies on it say nothing about CIFAR-10. Its Source says so. The same
// seed and split give the same images; train and test differ.
func SyntheticCIFAR10(n int, seed int64, train bool) *Dataset {
	n = max(0, n)
	const phases = 8
	split := uint64(0x7e57)
	if train {
		split = 0x7a1e
	}
	rng := rand.New(rand.NewPCG(uint64(seed), split))

	// templates[k][p] is class k's pattern at phase p.
	var templates [10][phases][cifarImageBytes]uint8
	for k := range 10 {
		angle := float64(k) * math.Pi / 10
		freq := 0.25 + 0.08*float64(k%5)
		dx, dy := math.Cos(angle)*freq, math.Sin(angle)*freq
		col := syntheticColours[k]
		for p := range phases {
			phase := 2 * math.Pi * float64(p) / phases
			for y := range 32 {
				for x := range 32 {
					s := 0.55 + 0.45*math.Sin(float64(x)*dx+float64(y)*dy+phase)
					for c := range 3 {
						templates[k][p][c*1024+y*32+x] = uint8(math.Round(float64(col[c]) * s))
					}
				}
			}
		}
	}

	images := make([]uint8, n*cifarImageBytes)
	labels := make([]uint8, n)
	for i := range n {
		k := rng.IntN(10)
		labels[i] = uint8(k)
		tpl := &templates[k][rng.IntN(phases)]
		shift := rng.IntN(41) - 20 // brightness
		img := images[i*cifarImageBytes : (i+1)*cifarImageBytes]
		for j := 0; j < cifarImageBytes; j += 8 {
			bits := rng.Uint64()
			for b := range 8 {
				noise := int(bits>>(8*b)&0xff)>>2 - 32 // -32..31
				img[j+b] = clampByte(int(tpl[j+b]) + shift + noise)
			}
		}
	}
	return &Dataset{
		Name:    "CIFAR10",
		Train:   train,
		Images:  images,
		Labels:  labels,
		N:       n,
		C:       3,
		H:       32,
		W:       32,
		Classes: append([]string(nil), CIFAR10Classes...),
		Source:  SyntheticSource,
	}
}

// syntheticColours gives each synthetic class its colour (R, G, B).
var syntheticColours = [10][3]uint8{
	{120, 170, 230}, // plane: sky blue
	{210, 40, 40},   // car: red
	{150, 120, 60},  // bird: brown
	{230, 150, 60},  // cat: orange
	{120, 150, 60},  // deer: olive
	{200, 190, 170}, // dog: beige
	{60, 170, 60},   // frog: green
	{110, 70, 40},   // horse: dark brown
	{40, 80, 170},   // ship: navy
	{170, 170, 170}, // truck: grey
}

func clampByte(v int) uint8 {
	return uint8(min(255, max(0, v)))
}

// RandomBatch returns one batch of noise: images [b,c,h,w] float32 uniform in [0,1) and
// labels [b] int32 uniform in [0,classes). Benchmarks and examples train on it when only the
// shapes matter (no data loading is timed); the same seed gives the same batch.
func RandomBatch(b, c, h, w, classes int, seed uint64) (images, labels *tensors.Tensor) {
	r := rand.New(rand.NewPCG(seed, 1))
	img := make([]float32, b*c*h*w)
	for i := range img {
		img[i] = r.Float32()
	}
	lab := make([]int32, b)
	for i := range lab {
		lab[i] = int32(r.IntN(classes))
	}
	return tensors.FromFlatDataAndDimensions(img, b, c, h, w), tensors.FromFlatDataAndDimensions(lab, b)
}
