#!/usr/bin/env python3
"""Go/PyTorch throughput ratio per model from `bench ...` lines.

Reads files named on the command line (or stdin), keeps the lines that start
with "bench " (key=value fields, parsed with shlex), and prints one line per
model and device class (cpu or gpu) that has figures from both frameworks:

  ratio model=lenet class=gpu gomlx_images_per_s=... pytorch_images_per_s=... gomlx_over_pytorch=0.512

A model with figures from one framework only gets a `ratio ... missing=gomlx`
line. If a framework has several lines for the same model and class, the last
one wins. Python 3 standard library only (any python3 will do).
"""

import shlex
import sys

GO, PT = "gomlx", "pytorch"


def device_class(dev):
    d = (dev or "").lower()
    return "gpu" if any(k in d for k in ("cuda", "gpu", "nvidia")) else "cpu"


def parse(lines):
    for raw in lines:
        raw = raw.strip()
        if not raw.startswith("bench "):
            continue
        try:
            toks = shlex.split(raw)[1:]
        except ValueError:
            continue
        f = dict(t.split("=", 1) for t in toks if "=" in t)
        if "framework" in f and "model" in f and "images_per_s" in f:
            yield f


def main(argv):
    lines = []
    if len(argv) > 1:
        for p in argv[1:]:
            try:
                with open(p, errors="replace") as fh:
                    lines.extend(fh)
            except OSError as e:
                print(f"ratio error=\"{e}\"", file=sys.stderr)
    else:
        lines = sys.stdin.readlines()

    table = {}  # (model, class) -> {framework: fields}
    order = []
    for f in parse(lines):
        key = (f["model"], device_class(f.get("device")))
        if key not in table:
            table[key] = {}
            order.append(key)
        table[key][f["framework"]] = f

    if not order:
        print("ratio none=no_bench_lines")
        return 0
    for model, cls in order:
        row = table[(model, cls)]
        go, pt = row.get(GO), row.get(PT)
        if go is None or pt is None:
            have = ",".join(sorted(row))
            need = GO if go is None else PT
            print(f"ratio model={model} class={cls} have={have} missing={need}")
            continue
        try:
            g, p = float(go["images_per_s"]), float(pt["images_per_s"])
        except ValueError:
            print(f"ratio model={model} class={cls} error=unparsable_images_per_s")
            continue
        r = g / p if p > 0 else float("nan")
        extra = ""
        if go.get("params") and pt.get("params"):
            extra = " params_match=" + ("yes" if go["params"] == pt["params"] else
                                         f"NO(gomlx={go['params']},pytorch={pt['params']})")
        print(f"ratio model={model} class={cls} gomlx_device={go.get('device', '?')} "
              f"pytorch_device={pt.get('device', '?')} gomlx_images_per_s={g:.1f} "
              f"pytorch_images_per_s={p:.1f} gomlx_over_pytorch={r:.3f}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
