package tensorboard_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/juanji/juanji/pkg/tensorboard"
)

// The document's SummaryWriter: one scalar per epoch, then
// `tensorboard --logdir runs` shows the curves.
func ExampleWriter_AddScalar() {
	runs, err := os.MkdirTemp("", "runs")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(runs)

	w, err := tensorboard.NewWriter(filepath.Join(runs, "resnet"))
	if err != nil {
		fmt.Println(err)
		return
	}
	losses := []float64{1.25, 0.91, 0.74}
	for epoch, loss := range losses {
		if err := w.AddScalar("loss/train", loss, int64(epoch+1)); err != nil {
			fmt.Println(err)
		}
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Println(strings.HasPrefix(filepath.Base(w.Path()), "events.out.tfevents."))
	// Output: true
}
