package train

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/juanji/juanji/pkg/nn"
)

// Restore returns a trainer for model on backend with the weights of the checkpoint at path
// (written by Trainer.Save), and the history saved with them: a trained network in one call,
// for the cells that predict or plot after the cell that trained. model must be built as the
// saved one was (the same factory). The trainer's optimizer is the zero SGD; set Opt and call
// SetLR to train further.
func Restore(backend backends.Backend, model nn.Layer, path string) (*Trainer, *History, error) {
	t := NewTrainer(backend, model, SGD{}, 0)
	h, err := t.Load(path)
	if err != nil {
		return nil, nil, err
	}
	return t, h, nil
}
