"""Reads the event files of a log folder with TensorBoard's own readers.

Usage: python3 read_with_tensorboard.py LOGDIR

Prints JSON: {"file_version": ..., "scalars": {tag: [[step, value], ...]}}.
Used by TestTensorBoardReadsIt where the tensorboard package is installed.
"""
import glob
import json
import os
import sys

from tensorboard.backend.event_processing import event_file_loader
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

logdir = sys.argv[1]
files = sorted(glob.glob(os.path.join(logdir, "*tfevents*")))
if len(files) != 1:
    sys.exit(f"want one event file in {logdir}, found {files}")

# The raw events, as TensorBoard's loader yields them.
events = list(event_file_loader.EventFileLoader(files[0]).Load())
file_version = events[0].file_version if events else ""

# The scalars, as TensorBoard's (v1) accumulator sees them.
acc = EventAccumulator(logdir)
acc.Reload()
scalars = {
    tag: [[float(e.step), float(e.value)] for e in acc.Scalars(tag)]
    for tag in acc.Tags()["scalars"]
}
print(json.dumps({"file_version": file_version, "scalars": scalars}))
