"""A PyTorch reader of MiniMNIST CNN model files, for tests/io/model_file_test.ts.

It shares no code with lib/: it parses safetensors with struct + json + numpy
(u64 little-endian header length, JSON header, raw little-endian tensors),
builds a torch.nn.Sequential from the "modules" metadata (one module per
entry, with its constructor arguments), loads the tensors layers.{i}.weight /
layers.{i}.bias as the state of module i (PyTorch's own Conv2d [out, in, kh,
kw] and Linear [out, in] layouts), runs the pixels through it and prints one
JSON object: {"predictions": [...], "probabilities": [[...], ...]}.

usage: python3 torch_reader.py MODEL.safetensors PIXELS.csv
(PIXELS.csv: headerless rows of 784 values 0-255)
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


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
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).copy()
    return tensors, metadata


def build(metadata):
    modules = []
    for spec in json.loads(metadata["modules"]):
        kind = spec.pop("type")
        modules.append(getattr(nn, kind)(**spec))
    return nn.Sequential(*modules)


def main():
    torch.set_num_threads(1)
    tensors, metadata = read_safetensors(sys.argv[1])
    net = build(metadata)
    state = {name[len("layers.") :]: torch.from_numpy(t) for name, t in tensors.items()}
    net.load_state_dict(state, strict=True)
    net.eval()
    shape = [int(s) for s in metadata["input_shape"].split(",")]
    x = np.loadtxt(sys.argv[2], delimiter=",", ndmin=2, dtype=np.float32)
    x = torch.from_numpy(x * np.float32(metadata["input_scale"])).reshape(-1, *shape)
    with torch.no_grad():
        p = torch.softmax(net(x), dim=1)
    print(json.dumps({"predictions": p.argmax(dim=1).tolist(), "probabilities": p.double().tolist()}))


if __name__ == "__main__":
    main()
