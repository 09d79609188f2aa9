#!/usr/bin/env python3
"""The numpy anchor of `deno task bench`: this project's training, written the way a numpy user writes it.

784-H-10 MLP, ReLU hidden layer, softmax output, cross-entropy, minibatch SGD with optional
momentum and weight decay (this project's rule: v = mu v + (g + wd w) for weights, g for biases;
w -= lr v), He-normal init, inputs scaled to [0, 1], float32 like the project (--dtype float64
for the seed's original float64 version). Every matrix product goes to numpy's BLAS.

    /usr/bin/python3 bench/numpy_ref.py [DATA_DIR] [--seeds N] [--hidden N] [--batch-size N]
        [--epochs N] [--lr X] [--momentum M] [--weight-decay W] [--dtype float32|float64]
        [--openblas-defaults] [--json]

--openblas-defaults removes OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from this process's
environment before numpy loads its BLAS, so that OpenBLAS picks its kernels for the CPU it runs
on (some machines set them for other programs). The benchmark passes it; it changes nothing else.

Prints the median in-process training time over seeds 0..N-1 (data loading excluded), the mean
test accuracy, and which BLAS numpy uses (threadpoolctl when installed, else the BLAS libraries
mapped into this process and OpenBLAS's own configuration string).
"""
import argparse
import json
import os
import sys
import time

p = argparse.ArgumentParser(description="numpy anchor of deno task bench")
p.add_argument("data", nargs="?", default="data")
p.add_argument("--seeds", type=int, default=3)
p.add_argument("--hidden", type=int, default=30)
p.add_argument("--batch-size", type=int, default=10)
p.add_argument("--epochs", type=int, default=30)
p.add_argument("--lr", type=float, default=0.01)
p.add_argument("--momentum", type=float, default=0.0)
p.add_argument("--weight-decay", type=float, default=0.0)
p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
p.add_argument("--openblas-defaults", action="store_true")
p.add_argument("--json", action="store_true")
a = p.parse_args()
if a.openblas_defaults:
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(name, None)

import numpy as np  # noqa: E402  (after the environment is settled: OpenBLAS reads it when it loads)


def blas_info():
    """Which BLAS numpy runs on, as one line."""
    (np.ones((64, 64)) @ np.ones((64, 64))).sum()  # make sure the BLAS is loaded
    try:
        from threadpoolctl import threadpool_info
        pools = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} threads)"
                 for i in threadpool_info() if i.get("user_api") == "blas"]
        if pools:
            return "; ".join(pools)
    except ImportError:
        pass
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower() and "/" in line})
    described = []
    import ctypes
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            described.append(f"{lib.openblas_get_config().decode()}, {lib.openblas_get_num_threads()} threads "
                             f"({os.path.realpath(path)})")
            break
        except (OSError, AttributeError):
            continue
    return described[0] if described else (", ".join(os.path.realpath(x) for x in libs) or "unknown")


def load(name):
    return np.loadtxt(os.path.join(a.data, name), delimiter=",", dtype=np.float64)


dt = np.dtype(a.dtype)
Xtr = (load("train_X.csv") / 255.0).astype(dt)
ytr = load("train_label.csv").astype(dt)
Xte = (load("test_X.csv") / 255.0).astype(dt)
yte = load("test_label.csv").argmax(1)
n = len(Xtr)
lr, batch, epochs, hidden, mu, wd = a.lr, a.batch_size, a.epochs, a.hidden, a.momentum, a.weight_decay

accuracies, times = [], []
for seed in range(a.seeds):
    rng = np.random.default_rng(seed)
    W1 = (rng.standard_normal((784, hidden)) * np.sqrt(2 / 784)).astype(dt)
    b1 = np.zeros(hidden, dt)
    W2 = (rng.standard_normal((hidden, 10)) * np.sqrt(2 / hidden)).astype(dt)
    b2 = np.zeros(10, dt)
    params = [W1, b1, W2, b2]
    decays = [wd, 0.0, wd, 0.0]
    velocity = [np.zeros_like(q) for q in params]
    started = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, batch):
            xb, yb = Xtr[order[s:s + batch]], ytr[order[s:s + batch]]
            z1 = xb @ W1 + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ W2 + b2
            z2 -= z2.max(1, keepdims=True)
            prob = np.exp(z2)
            prob /= prob.sum(1, keepdims=True)
            d2 = (prob - yb) / len(xb)
            d1 = (d2 @ W2.T) * (z1 > 0)
            grads = (xb.T @ d1, d1.sum(0), a1.T @ d2, d2.sum(0))
            if mu == 0 and wd == 0:
                for q, g in zip(params, grads):
                    q -= lr * g
            else:
                for q, v, g, lam in zip(params, velocity, grads, decays):
                    v *= mu
                    v += g + lam * q if lam else g
                    q -= lr * v
    times.append(time.perf_counter() - started)
    prediction = (np.maximum(Xte @ W1 + b1, 0) @ W2 + b2).argmax(1)
    accuracies.append(float((prediction == yte).mean()))

result = {
    "train_seconds_median": float(np.median(times)),
    "train_seconds": times,
    "test_accuracy_mean": float(np.mean(accuracies)),
    "seeds": a.seeds, "train_examples": n, "epochs": epochs, "batch_size": batch, "hidden": hidden, "lr": lr,
    "momentum": mu, "weight_decay": wd, "dtype": a.dtype,
    "library": f"numpy {np.__version__}, Python {sys.version.split()[0]}",
    "blas": blas_info(),
}
if a.json:
    print(json.dumps(result))
else:
    print(f"numpy ({result['blas']}): median train {result['train_seconds_median']:.3f} s, "
          f"mean test accuracy {100 * result['test_accuracy_mean']:.2f}% over {a.seeds} seeds")
