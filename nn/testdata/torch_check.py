#!/usr/bin/env python3
"""Check a nidim checkpoint against PyTorch.

Reads model.safetensors and io.safetensors from the directory given as the
only argument, with a small numpy reader for the safetensors format. It
builds the same network in PyTorch, loads the weights and running
statistics by name, runs the input through it in inference mode and
compares the result with the output nidim computed. Prints "ok" and exits
with 0 when every value agrees within 1e-4 (absolute plus relative).

Run by TestCheckpointTorch when NIDIM_TORCH_CHECK=1; needs numpy and torch
(checked with PyTorch 1.13 and /usr/bin/python3).
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"])
    return out, header.get("__metadata__", {})


def main():
    directory = sys.argv[1]
    state, meta = read_safetensors(directory + "/model.safetensors")
    io, _ = read_safetensors(directory + "/io.safetensors")
    assert meta.get("model") == "torch-check", meta

    import torch
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 3, 3, stride=2, padding=1), nn.Tanh(), nn.Flatten(),
        nn.Linear(3 * 2 * 2, 5), nn.BatchNorm1d(5, affine=False), nn.Sigmoid())
    tensors = {k: torch.from_numpy(v.copy()) for k, v in state.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    assert not missing and not unexpected, (missing, unexpected)
    model.eval()
    with torch.no_grad():
        got = model(torch.from_numpy(io["input"].copy())).numpy()
    want = io["output"]
    err = np.abs(got - want) / (1e-4 + np.abs(want))
    if got.shape != want.shape or not np.all(np.abs(got - want) <= 1e-4 * (1 + np.abs(want))):
        print("mismatch: max relative error", err.max(), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
