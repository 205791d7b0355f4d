package notebook_test

import (
	"fmt"
	"os"

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
