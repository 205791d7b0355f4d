// Package train fits the document's models: a training step compiled once per input shape,
// SGD with momentum and weight decay, cross-entropy loss, the document's accuracy, a
// per-epoch history and the loop that prints one line per epoch.
//
// One job per file:
//
//   - trainer.go: Trainer, SGD, and the compiled graphs (Step, Evaluate, Predict);
//   - fit.go: Fit, the epoch loop over any source of Batches (a *data.Loader, usually),
//     with its configuration and its errors (interrupt, non-finite loss);
//   - history.go: EpochStats and History, as JSON and as charts;
//   - format.go: the per-epoch line, as the document prints it;
//   - tensorboard.go: the per-epoch scalars for TensorBoard;
//   - losses.go and metrics.go: cross-entropy, correct counts, Accuracy;
//   - checkpoint.go and restore.go: Save, Load and Restore.
package train
