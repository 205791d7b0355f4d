#!/usr/bin/env python3
"""Read TensorBoard event files and report their scalars, to check what the Go side writes.

  tb_check.py DIR_OR_FILE...    one `tb ...` line per file and per scalar tag
  tb_check.py --selftest        write a sample event file, read it back, exit 0 if all agrees

With the `tensorboard` package importable (the GPU image has it) the files are read
with TensorBoard's own EventAccumulator (reader=tensorboard); without it, with the
small TFRecord + protobuf reader below (reader=builtin), which also verifies every
record's masked CRC-32C. If a directory holds `expected_tags.txt` (one tag a line),
every tag listed must have at least one scalar.

Output:
  tb file=... reader=tensorboard records=N scalars=M tags=T ok=yes
  tb tag=train/loss file=... count=16 first_step=1 last_step=16 last_value=0.0452
Exit status: 0 when every file has at least one scalar and every expected tag is
present, 1 otherwise, 2 when no event file was found.
"""

import glob
import os
import struct
import sys
import tempfile

# ---------------------------------------------------------------- CRC-32C (Castagnoli), masked as TFRecord does

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# ---------------------------------------------------------------- minimal protobuf decoding

def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf):
    """Yields (field_number, wire_type, value) of a protobuf message."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            v = buf[i:i + 8]
            i += 8
        elif wt == 2:
            n, i = _varint(buf, i)
            v = buf[i:i + n]
            i += n
        elif wt == 5:
            v = buf[i:i + 4]
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wt}")
        yield num, wt, v


def read_records(path):
    """TFRecord framing: u64 length, u32 masked crc(length), data, u32 masked crc(data)."""
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        if i + 12 > len(data):
            raise ValueError(f"truncated record header at byte {i}")
        (n,) = struct.unpack_from("<Q", data, i)
        (lcrc,) = struct.unpack_from("<I", data, i + 8)
        if masked_crc(data[i:i + 8]) != lcrc:
            raise ValueError(f"bad length CRC at byte {i}")
        body = data[i + 12:i + 12 + n]
        if len(body) != n or i + 16 + n > len(data):
            raise ValueError(f"truncated record at byte {i}")
        (dcrc,) = struct.unpack_from("<I", data, i + 12 + n)
        if masked_crc(body) != dcrc:
            raise ValueError(f"bad data CRC at byte {i}")
        yield body
        i += 16 + n


def builtin_scalars(path):
    """Returns (records, {tag: [(step, value)]}) from Event protos with Summary.Value.simple_value
    (Event: 1 wall_time, 2 step, 3 file_version, 5 summary; Summary: 1 value;
    Value: 1 tag, 2 simple_value, 8 tensor, 9 metadata)."""
    records, scalars = 0, {}
    for rec in read_records(path):
        records += 1
        step, summary = 0, None
        for num, wt, v in _fields(rec):
            if num == 2 and wt == 0:
                step = v - (1 << 64) if v >= 1 << 63 else v
            elif num == 5 and wt == 2:
                summary = v
        if summary is None:
            continue
        for num, wt, v in _fields(summary):
            if num != 1 or wt != 2:
                continue
            tag, val = None, None
            for n2, w2, v2 in _fields(v):
                if n2 == 1 and w2 == 2:
                    tag = v2.decode("utf-8", "replace")
                elif n2 == 2 and w2 == 5:
                    (val,) = struct.unpack("<f", v2)
                elif n2 == 8 and w2 == 2:  # TensorProto: 5 float_val (packed), 6 double_val
                    for n3, w3, v3 in _fields(v2):
                        if n3 == 5 and w3 == 2 and len(v3) >= 4:
                            (val,) = struct.unpack_from("<f", v3)
                        elif n3 == 5 and w3 == 5:
                            (val,) = struct.unpack("<f", v3)
                        elif n3 == 6 and w3 == 2 and len(v3) >= 8:
                            (val,) = struct.unpack_from("<d", v3)
            if tag is not None and val is not None:
                scalars.setdefault(tag, []).append((step, val))
    return records, scalars


def tensorboard_scalars(path):
    from tensorboard.backend.event_processing import event_accumulator as ea
    acc = ea.EventAccumulator(path, size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    scalars = {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in tags.get("scalars", [])}
    for t in tags.get("tensors", []):  # TF2-style scalars written as tensors
        if t in scalars:
            continue
        vals = []
        for e in acc.Tensors(t):
            try:
                import numpy as np
                from tensorboard.util import tensor_util
                arr = tensor_util.make_ndarray(e.tensor_proto)
                if np.size(arr) == 1:
                    vals.append((e.step, float(np.asarray(arr).reshape(-1)[0])))
            except Exception:
                pass
        if vals:
            scalars[t] = vals
    return None, scalars


def find_event_files(args):
    files = []
    for a in args:
        if os.path.isdir(a):
            files += sorted(glob.glob(os.path.join(a, "**", "*tfevents*"), recursive=True))
        elif os.path.exists(a):
            files.append(a)
    return files


def expected_tags_for(path, roots):
    for r in roots:
        if os.path.isdir(r) and os.path.abspath(path).startswith(os.path.abspath(r)):
            p = os.path.join(r, "expected_tags.txt")
            if os.path.exists(p):
                with open(p) as f:
                    return [l.strip() for l in f if l.strip() and not l.startswith("#")]
    return []


def check(args, force_builtin=False):
    files = find_event_files(args)
    if not files:
        print("tb files=0 ok=no reason=no_event_files")
        return 2
    try:
        if force_builtin:
            raise ImportError
        import tensorboard  # noqa: F401
        reader, read = "tensorboard", tensorboard_scalars
    except ImportError:
        reader, read = "builtin", builtin_scalars
    all_ok = True
    for f in files:
        try:
            records, scalars = read(f)
        except Exception as e:  # a corrupt file is a finding, not a crash
            print(f"tb file={f} reader={reader} ok=no error={str(e)!r}")
            all_ok = False
            continue
        missing = [t for t in expected_tags_for(f, args) if t not in scalars]
        n = sum(len(v) for v in scalars.values())
        ok = n > 0 and not missing
        all_ok &= ok
        rec = "" if records is None else f" records={records}"
        miss = f" missing={','.join(missing)}" if missing else ""
        print(f"tb file={f} reader={reader}{rec} scalars={n} tags={len(scalars)}{miss} ok={'yes' if ok else 'no'}")
        for tag in sorted(scalars):
            v = scalars[tag]
            print(f"tb tag={tag} count={len(v)} first_step={v[0][0]} last_step={v[-1][0]} last_value={v[-1][1]:.6g}")
    return 0 if all_ok else 1


# ---------------------------------------------------------------- self-test: write a sample, read it back

def _key(num, wt):
    return _enc_varint((num << 3) | wt)


def _enc_varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _ld(num, payload):
    return _key(num, 2) + _enc_varint(len(payload)) + payload


def _event(step, wall, tag=None, value=None, version=None):
    msg = _key(1, 1) + struct.pack("<d", wall) + _key(2, 0) + _enc_varint(step)
    if version is not None:
        msg += _ld(3, version.encode())
    if tag is not None:
        val = _ld(1, tag.encode()) + _key(2, 5) + struct.pack("<f", value)
        msg += _ld(5, _ld(1, val))
    return msg


def _record(data):
    n = struct.pack("<Q", len(data))
    return n + struct.pack("<I", masked_crc(n)) + data + struct.pack("<I", masked_crc(data))


def selftest():
    # Known CRC-32C check value.
    assert crc32c(b"123456789") == 0xE3069283, hex(crc32c(b"123456789"))
    d = tempfile.mkdtemp(prefix="tb_check.")
    path = os.path.join(d, "events.out.tfevents.0.selftest")
    with open(path, "wb") as f:
        f.write(_record(_event(0, 1.0, version="brain.Event:2")))
        for s in range(1, 4):
            f.write(_record(_event(s, 1.0 + s, "train/loss", 1.0 / s)))
            f.write(_record(_event(s, 1.0 + s, "test/acc", 0.5 + s / 10)))
    with open(os.path.join(d, "expected_tags.txt"), "w") as f:
        f.write("train/loss\ntest/acc\n")
    records, sc = builtin_scalars(path)
    assert records == 7, records
    assert [s for s, _ in sc["train/loss"]] == [1, 2, 3], sc
    assert abs(sc["test/acc"][-1][1] - 0.8) < 1e-6, sc
    rc = check([d], force_builtin=True)
    try:
        import tensorboard  # noqa: F401
        rc = check([d]) or rc
    except ImportError:
        print("tb selftest tensorboard=not_installed")
    # A corrupted byte must be caught by the builtin reader.
    with open(path, "r+b") as f:
        f.seek(40)
        b = f.read(1)
        f.seek(40)
        f.write(bytes([b[0] ^ 0xFF]))
    try:
        builtin_scalars(path)
        print("tb selftest corrupt=not_detected ok=no")
        return 1
    except ValueError:
        pass
    print(f"tb selftest dir={d} ok={'yes' if rc == 0 else 'no'}")
    return rc


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--selftest":
        sys.exit(selftest())
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(check(sys.argv[1:]))
