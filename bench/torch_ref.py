#!/usr/bin/env python3
"""The PyTorch anchor of `deno task bench`: this project's training written as a PyTorch user would.

nn.Sequential(Linear(784, H), ReLU(), Linear(H, 10)), nn.CrossEntropyLoss, optim.SGD with the
given momentum and weight decay (PyTorch's rule: decay on every parameter), float32, PyTorch's
default initialisation and default thread count, a new random order of the examples every epoch.

    /usr/bin/python3 bench/torch_ref.py [DATA_DIR] [--seeds N] [--hidden N] [--batch-size N]
        [--epochs N] [--lr X] [--momentum M] [--weight-decay W] [--json]

Prints the median in-process training time over seeds 0..N-1 (data loading excluded), the mean
test accuracy, the PyTorch version, its thread count and the BLAS it was built with.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

p = argparse.ArgumentParser(description="PyTorch anchor of deno task bench")
p.add_argument("data", nargs="?", default="data")
p.add_argument("--seeds", type=int, default=3)
p.add_argument("--hidden", type=int, default=30)
p.add_argument("--batch-size", type=int, default=10)
p.add_argument("--epochs", type=int, default=30)
p.add_argument("--lr", type=float, default=0.01)
p.add_argument("--momentum", type=float, default=0.0)
p.add_argument("--weight-decay", type=float, default=0.0)
p.add_argument("--json", action="store_true")
a = p.parse_args()


def load(name):
    return np.loadtxt(os.path.join(a.data, name), delimiter=",", dtype=np.float32)


Xtr = torch.from_numpy(load("train_X.csv") / 255.0)
ytr = torch.from_numpy(load("train_label.csv").argmax(1)).long()
Xte = torch.from_numpy(load("test_X.csv") / 255.0)
yte = torch.from_numpy(load("test_label.csv").argmax(1)).long()
n = len(Xtr)

accuracies, times = [], []
for seed in range(a.seeds):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, a.hidden), nn.ReLU(), nn.Linear(a.hidden, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.weight_decay)
    started = time.perf_counter()
    for _ in range(a.epochs):
        order = torch.randperm(n)
        for s in range(0, n, a.batch_size):
            index = order[s:s + a.batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(Xtr[index]), ytr[index])
            loss.backward()
            optimizer.step()
    times.append(time.perf_counter() - started)
    with torch.no_grad():
        accuracies.append(float((model(Xte).argmax(1) == yte).float().mean()))

build = torch.__config__.show()
blas = next((part.split("=", 1)[1] for part in build.replace(",", "\n").split() if part.startswith("BLAS_INFO=")),
            "unknown")
result = {
    "train_seconds_median": float(np.median(times)),
    "train_seconds": times,
    "test_accuracy_mean": float(np.mean(accuracies)),
    "seeds": a.seeds, "train_examples": n, "epochs": a.epochs, "batch_size": a.batch_size, "hidden": a.hidden,
    "lr": a.lr, "momentum": a.momentum, "weight_decay": a.weight_decay,
    "library": f"PyTorch {torch.__version__}, Python {sys.version.split()[0]}",
    "blas": f"BLAS_INFO={blas}, {'MKL-DNN' if torch.backends.mkldnn.is_available() else 'no MKL-DNN'}, "
            f"{torch.get_num_threads()} threads",
}
if a.json:
    print(json.dumps(result))
else:
    print(f"{result['library']} ({result['blas']}): median train {result['train_seconds_median']:.3f} s, "
          f"mean test accuracy {100 * result['test_accuracy_mean']:.2f}% over {a.seeds} seeds")
