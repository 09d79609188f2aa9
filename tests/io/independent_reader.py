"""An independent reader of MiniMNIST model files, for tests/io/model_file_test.ts.

It shares no code with lib/: it parses safetensors with struct + json + numpy
(the published layout: u64 little-endian header length, JSON header, raw
little-endian tensors), runs the forward pass described by the metadata, and
prints one JSON object: {"predictions": [...], "probabilities": [[...], ...]}.

usage: python3 independent_reader.py MODEL.safetensors PIXELS.csv
(PIXELS.csv: headerless rows of 784 values 0-255)
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n :]
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", info
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
    return tensors, metadata


def forward(tensors, metadata, x):
    acts = [a for a in metadata["activations"].split(",") if a]
    funcs = {
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    }
    a = x.astype(np.float64) * float(metadata["input_scale"])
    layers = len(acts) + 1
    for i in range(layers):
        w = tensors[f"layers.{i}.weight"].astype(np.float64)  # [out, in], like torch.nn.Linear
        b = tensors[f"layers.{i}.bias"].astype(np.float64)
        z = a @ w.T + b
        a = funcs[acts[i]](z) if i < layers - 1 else z
    a = a - a.max(axis=1, keepdims=True)
    p = np.exp(a)
    return p / p.sum(axis=1, keepdims=True)


def main():
    tensors, metadata = read_safetensors(sys.argv[1])
    x = np.loadtxt(sys.argv[2], delimiter=",", ndmin=2)
    p = forward(tensors, metadata, x)
    print(json.dumps({"predictions": p.argmax(axis=1).tolist(), "probabilities": p.tolist()}))


if __name__ == "__main__":
    main()
