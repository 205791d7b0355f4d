#!/usr/bin/env python3
"""Go/PyTorch throughput ratio per model from `bench ...` lines.

Reads files named on the command line (or stdin), keeps the lines that start
with "bench " (key=value fields, parsed with shlex), and prints one line per
model and device class (cpu or gpu: a line's `section` field when it has one,
as gpu-check.sh marks them, else from its device) with figures from both
frameworks:

  ratio model=lenet class=gpu gomlx_images_per_s=... pytorch_images_per_s=... gomlx_over_pytorch=0.512

A model with figures from one framework only gets a `ratio ... missing=gomlx`
line. If a framework has several lines for the same model and class, the last
one wins, except that the PyTorch line compared with a Go line is the last with
the Go line's `sync` (step: both sides copy the loss to the host every step).

--summary prints instead one line per model, `gpu: lenet go=... pytorch=...
ratio=...` (`none` where a side has no figure); --expect=gpu:lenet,cpu:lenet
names models that must get a line even with no figures at all.
Python 3 standard library only (any python3 will do).
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


def pick_pytorch(rows, go):
    """The PyTorch line to compare with the Go line: the same `sync` if there is one."""
    want = (go or {}).get("sync", "")
    same = [f for f in rows if f.get("sync", "loop") == want]
    return (same or rows)[-1] if rows else None


def summary_line(cls, model, go, pt, pt_loop):
    """`gpu: lenet go=... pytorch=... ratio=...` (none where a side has no figure)."""
    g = go["images_per_s"] if go else "none"
    p = pt["images_per_s"] if pt else "none"
    out = f"{cls}: {model} go={g} pytorch={p} ratio="
    try:
        out += f"{float(g) / float(p):.3f}"
    except (TypeError, ValueError, ZeroDivisionError):
        out += "none"
    if go and pt:
        out += f" sync={pt.get('sync', 'loop')}"
        if pt_loop is not None and pt_loop is not pt:
            out += f" pytorch_sync_loop={pt_loop['images_per_s']}"
            try:
                out += f" ratio_sync_loop={float(g) / float(pt_loop['images_per_s']):.3f}"
            except (ValueError, ZeroDivisionError):
                pass
    return out


def main(argv):
    args = argv[1:]
    summary, expect = False, []
    while args and args[0].startswith("--"):
        a = args.pop(0)
        if a == "--summary":
            summary = True
        elif a.startswith("--expect="):
            # class:model,... that must get a summary line even without figures
            expect = [tuple(x.split(":", 1)) for x in a.split("=", 1)[1].split(",") if ":" in x]
    lines = []
    if args:
        for p in args:
            try:
                with open(p, errors="replace") as fh:
                    lines.extend(fh)
            except OSError as e:
                print(f"ratio error=\"{e}\"", file=sys.stderr)
    else:
        lines = sys.stdin.readlines()

    table = {}  # (model, class) -> {framework: [fields, ...]}
    order = []
    for f in parse(lines):
        key = (f["model"], f.get("section") or device_class(f.get("device")))
        if key not in table:
            table[key] = {}
            order.append(key)
        table[key].setdefault(f["framework"], []).append(f)

    if summary:
        wanted = [(m, c) for c, m in expect]
        keys = wanted + [k for k in order if k not in wanted]
        for model, cls in keys:
            row = table.get((model, cls), {})
            go = (row.get(GO) or [None])[-1]
            pt_rows = row.get(PT) or []
            pt = pick_pytorch(pt_rows, go)
            loops = [f for f in pt_rows if f.get("sync", "loop") == "loop"]
            print(summary_line(cls, model, go, pt, loops[-1] if loops else None))
        return 0

    if not order:
        print("ratio none=no_bench_lines")
        return 0
    for model, cls in order:
        row = table[(model, cls)]
        go = (row.get(GO) or [None])[-1]
        pt = pick_pytorch(row.get(PT) or [], go)
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
        if "sync" in go or "sync" in pt:
            extra += f" gomlx_sync={go.get('sync', '?')} pytorch_sync={pt.get('sync', 'loop')}"
        print(f"ratio model={model} class={cls} gomlx_device={go.get('device', '?')} "
              f"pytorch_device={pt.get('device', '?')} gomlx_images_per_s={g:.1f} "
              f"pytorch_images_per_s={p:.1f} gomlx_over_pytorch={r:.3f}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
