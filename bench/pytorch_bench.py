#!/usr/bin/env python3
"""Training throughput of the document's models in the document's own PyTorch code.

The models are copied from the source document (seed/000_645366af4c799d1e.txt):
LeNet (with its Padding view and xavier init) and TrashNet (with its Residual
block), plus ResNet-18 as d2l builds it (the document's closing "try a deeper
network"), here for CIFAR-sized input: 3 channels, 10 classes.

Each model trains for a fixed number of SGD steps (the document's learning
rates: LeNet 0.5, TrashNet 0.9; ResNet-18 d2l's 0.05) with CrossEntropyLoss on
one synthetic batch of the right shape that stays on the device. Warm-up steps
are not timed; on CUDA the timer is bracketed by torch.cuda.synchronize().
--sync step also copies the loss and the correct count to the host every step, as
juanji's Go trainer does (sync=step on its lines); the default, sync=loop, waits for
the device only around the timed loop; --sync both times the two, one line each.

Output, one line each, `key=value` fields (values with spaces are quoted, so
`shlex.split` parses every line):

  header framework=pytorch torch=... device=... device_name="..." threads=N ...
  bench framework=pytorch model=lenet device=cpu batch=100 steps=200 warmup=10
        params=61706 images_per_s=... step_ms=... peak_mem_mib=... mem=rss loss=...

(one physical line per bench). peak_mem_mib is torch.cuda.max_memory_allocated
on CUDA (reset per model) and the process's ru_maxrss on CPU; on CPU each model
runs in its own child process (unless --no-isolate) so that figure belongs to
that model alone.

Use Debian's interpreter here: /usr/bin/python3 bench/pytorch_bench.py --device cpu --threads 2
"""

import argparse
import os
import platform
import resource
import shlex
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


# ---------------------------------------------------------------- the document's LeNet

class Padding(nn.Module):
    def forward(self, X):
        return X.view(-1, 1, 28, 28)


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


def lenet():
    net = nn.Sequential(
        Padding(), nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10)
    )
    net.apply(init_weights)
    return net


# ---------------------------------------------------------------- the document's Residual and TrashNet

class Residual(nn.Module):
    def __init__(self, input_channels, num_channels,
                 use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels,
                               kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels,
                               kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(input_channels, num_channels,
                                   kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


class TrashNet(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=3, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.mp = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.res1 = Residual(32, 64, True, strides=2)
        self.res2 = Residual(64, 64)
        self.ap = nn.AdaptiveAvgPool2d((1, 1))
        self.linarg = nn.Linear(64, 10)

    def forward(self, X):
        X = X.view(-1, 3, 32, 32)
        X = self.conv1(X)
        X = self.bn1(X)
        X = F.relu(X)
        X = self.mp(X)

        X = self.res2(self.res1(X))
        X = self.ap(X)
        Y = self.linarg(X.view(-1, 64))
        return Y


# ---------------------------------------------------------------- d2l's ResNet-18 (d2l/torch.py, chapter 7.6)

def resnet_block(input_channels, num_channels, num_residuals,
                 first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels,
                                use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def resnet18(in_channels=3, num_classes=10):
    b1 = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
                       nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(*resnet_block(64, 64, 2, first_block=True))
    b3 = nn.Sequential(*resnet_block(64, 128, 2))
    b4 = nn.Sequential(*resnet_block(128, 256, 2))
    b5 = nn.Sequential(*resnet_block(256, 512, 2))
    return nn.Sequential(b1, b2, b3, b4, b5,
                         nn.AdaptiveAvgPool2d((1, 1)),
                         nn.Flatten(), nn.Linear(512, num_classes))


# name -> (constructor, batch, input shape C,H,W, learning rate)
MODELS = {
    "lenet": (lenet, 100, (1, 28, 28), 0.5),
    "trashnet": (TrashNet, 100, (3, 32, 32), 0.9),
    "resnet18": (resnet18, 128, (3, 32, 32), 0.05),
}

# Parameter counts computed by hand from the layer shapes; the Go models must match.
EXPECTED_PARAMS = {"lenet": 61706}


def param_count(net):
    return sum(p.numel() for p in net.parameters())


def fmt(v):
    s = str(v)
    return shlex.quote(s) if (not s or any(c in s for c in " \t\"'=")) else s


def line(kind, **fields):
    print(kind + " " + " ".join(f"{k}={fmt(v)}" for k, v in fields.items()), flush=True)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    return l.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def bench_one(name, device, steps, warmup, extra_forward, seed, syncs=("loop",)):
    make, batch, chw, lr = MODELS[name]
    torch.manual_seed(seed)
    net = make().to(device)
    params = param_count(net)
    if name in EXPECTED_PARAMS and params != EXPECTED_PARAMS[name]:
        print(f"warning: {name} has {params} parameters, expected {EXPECTED_PARAMS[name]}",
              file=sys.stderr)
    loss = nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    X = torch.rand(batch, *chw, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    net.train()
    cuda = device.type == "cuda"

    def step(per_step_sync):
        logits = net(X)
        l = loss(logits, y)
        if per_step_sync:
            correct = (logits.argmax(dim=1) == y).sum()
        trainer.zero_grad()
        l.backward()
        trainer.step()
        if extra_forward:  # the document's TrashNet loop: accuracy(net(X), y) after the update
            net(X).argmax(dim=1)
        if per_step_sync:
            # What juanji's Trainer.Step does: loss and correct count to the host, every step.
            l.item(), correct.item()
        return l

    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(warmup):
        step(False)
    for sync in syncs:
        if cuda:
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            l = step(sync == "step")
        if cuda:
            torch.cuda.synchronize(device)
        elapsed = time.perf_counter() - t0
        final_loss = float(l.detach().cpu())
        if cuda:
            peak, mem = torch.cuda.max_memory_allocated(device) / 2**20, "cuda_max_allocated"
        else:
            peak, mem = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss"
        fields = dict(framework="pytorch", model=name, device=str(device), batch=batch,
                      steps=steps, warmup=warmup, params=params,
                      images_per_s=f"{batch * steps / elapsed:.1f}",
                      step_ms=f"{1000 * elapsed / steps:.3f}",
                      peak_mem_mib=f"{peak:.1f}", mem=mem, sync=sync, loss=f"{final_loss:.4f}")
        if extra_forward:
            fields["extra_forward"] = 1
        line("bench", **fields)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--steps", type=int, default=100, help="timed SGD steps per model")
    ap.add_argument("--warmup", type=int, default=5, help="untimed SGD steps before timing")
    ap.add_argument("--models", default="lenet,trashnet,resnet18")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch.set_num_threads (0: leave torch's default)")
    ap.add_argument("--extra-forward", action="store_true",
                    help="also run the document TrashNet loop's second forward pass after each step")
    ap.add_argument("--sync", choices=["loop", "step", "both"], default="loop",
                    help="loop: wait for the device only around the timed loop; step: copy the loss "
                         "and correct count to the host every step, as juanji's Go trainer does; "
                         "both: time the two, one bench line each")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-header", action="store_true")
    ap.add_argument("--no-isolate", action="store_true",
                    help="on CPU, run all models in this process (ru_maxrss then accumulates)")
    args = ap.parse_args()

    names = [m.strip() for m in args.models.split(",") if m.strip()]
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model {n!r}; known: {','.join(MODELS)}")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but torch.cuda.is_available() is False", file=sys.stderr)
        sys.exit(2)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda:0")

    if not args.no_header:
        if device.type == "cuda":
            dname = torch.cuda.get_device_name(device)
            extra = dict(cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                         cudnn_benchmark=int(torch.backends.cudnn.benchmark))
        else:
            dname, extra = cpu_name(), {}
        line("header", framework="pytorch", torch=torch.__version__, python=platform.python_version(),
             device=str(device), device_name=dname, threads=torch.get_num_threads(),
             interop_threads=torch.get_num_interop_threads(), cpus=os.cpu_count(), **extra)

    if device.type == "cpu" and not args.no_isolate and len(names) > 1:
        # One child per model, so that ru_maxrss is that model's peak.
        rc = 0
        for n in names:
            cmd = [sys.executable, os.path.abspath(__file__), "--device", "cpu",
                   "--steps", str(args.steps), "--warmup", str(args.warmup), "--models", n,
                   "--threads", str(args.threads), "--seed", str(args.seed), "--no-header",
                   "--sync", args.sync]
            if args.extra_forward:
                cmd.append("--extra-forward")
            rc = subprocess.call(cmd) or rc
        sys.exit(rc)

    for n in names:
        syncs = ("loop", "step") if args.sync == "both" else (args.sync,)
        bench_one(n, device, args.steps, args.warmup, args.extra_forward, args.seed, syncs)


if __name__ == "__main__":
    main()
