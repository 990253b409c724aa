#!/usr/bin/python3
"""Trains a small DeiT-style ViT on Fashion-MNIST and exports it for qtsim.

Run with Debian's /usr/bin/python3 and python3-torch (dataset-fashion-mnist provides the images):

    /usr/bin/python3 scripts/train_tiny_vit.py --out models/fashion_vit

Architecture (what golden/vit_model.* lowers): 28x28 grey images cut into 16 patches of 7x7, a linear patch
embedding, a cls token and a learned position embedding (17 tokens), pre-norm encoder blocks (LayerNorm eps
1e-6, multi-head attention with a fused qkv linear laid out as timm's [3, heads, head_dim], exact-erf GELU MLP),
a final LayerNorm and a linear head on the cls token.

Writes into --out: model.safetensors (float16, about 600 KiB; patch_embed.weight as [dim, 49] in (row, col)
pixel order), model.json (architecture, input normalisation, recipe, seed, FP32 test accuracy) and
test_predictions.npy (uint8, PyTorch's class for each of the 10,000 test images). The weights are rounded to
float16 before the final evaluation, so the accuracy and predictions are those of the exported weights
(computed in float32). --reexport DIR redoes the export from a float32 or float16 model.safetensors.

Debian's torch calls the system BLAS: install libopenblas0 (or another optimised BLAS) first; with the
reference BLAS a training step is about ten times slower.
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel statistics (of pixel / 255)


def load_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        qkv = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * (hd ** -0.5)
        ctx = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(ctx)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class TinyViT(nn.Module):
    def __init__(self, dim, depth, heads, mlp, patch=7, classes=10):
        super().__init__()
        self.patch = patch
        n = (28 // patch) ** 2
        self.patch_embed = nn.Linear(patch * patch, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def patches(self, img):  # [B, 28, 28] -> [B, 16, 49], patches in raster order, pixels (row, col)
        p = self.patch
        b = img.shape[0]
        return img.reshape(b, 28 // p, p, 28 // p, p).permute(0, 1, 3, 2, 4).reshape(b, -1, p * p)

    def forward(self, img):
        x = self.patch_embed(self.patches(img))
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x)[:, 0])


def normalise(u8):
    return (torch.from_numpy(u8.astype(np.float32)) / 255.0 - MEAN) / STD


def augment(img, gen):
    # random shifts of up to 2 pixels (zero padding in normalised units) and horizontal flips
    b = img.shape[0]
    pad = F.pad(img, (2, 2, 2, 2), value=(0 - MEAN) / STD)
    dx = torch.randint(0, 5, (b,), generator=gen)
    dy = torch.randint(0, 5, (b,), generator=gen)
    out = torch.stack([pad[i, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28] for i in range(b)])
    flip = torch.rand(b, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def save_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float16))
        header[name] = {"dtype": "F16", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(path + ".tmp", path)


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        b, e = h["data_offsets"]
        dt = {"F32": np.float32, "F16": np.float16}[h["dtype"]]
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + b:8 + n + e], dt).astype(np.float32).reshape(h["shape"]))
    return out


def evaluate(model, images, batch=1000):
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            preds.append(model(images[i:i + batch]).argmax(-1))
    return torch.cat(preds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/fashion_vit")
    ap.add_argument("--epochs", type=int, default=24)
    ap.add_argument("--dim", type=int, default=96)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--heads", type=int, default=3)
    ap.add_argument("--mlp", type=int, default=192)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reexport", help="export the model.safetensors in this directory again instead of training")
    ap.add_argument("--threads", type=int, default=2,
                    help="torch threads; Debian's torch slows down badly when they outnumber free cores")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    train_x = normalise(load_idx("train-images-idx3-ubyte.gz"))
    train_y = torch.from_numpy(load_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    test_x = normalise(load_idx("t10k-images-idx3-ubyte.gz"))
    test_y = torch.from_numpy(load_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))

    model = TinyViT(args.dim, args.depth, args.heads, args.mlp)
    t0 = time.time()
    if args.reexport:
        old = json.load(open(os.path.join(args.reexport, "model.json")))
        arch = old["architecture"]
        model = TinyViT(arch["dim"], arch["depth"], arch["heads"], arch["mlp"])
        sd = load_safetensors(os.path.join(args.reexport, "model.safetensors"))
        sd["cls_token"] = sd["cls_token"].reshape(1, 1, -1)
        sd["pos_embed"] = sd["pos_embed"].reshape(1, -1, arch["dim"])
        model.load_state_dict(sd)
        export(model, args, old["recipe"], test_x, test_y, t0)
        return
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    steps = args.epochs * math.ceil(len(train_x) / args.batch)
    warm = math.ceil(len(train_x) / args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(train_x), generator=gen)
        total = 0.0
        for i in range(0, len(train_x), args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(augment(train_x[idx], gen)), train_y[idx], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc = (evaluate(model, test_x) == test_y).float().mean().item()
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / len(train_x):.4f} test {acc:.4f} ({time.time() - t0:.0f} s)",
              flush=True)

    recipe = {"epochs": args.epochs, "batch": args.batch, "optimizer": "AdamW", "lr": args.lr, "weight_decay": 0.05,
              "schedule": "1 epoch linear warm-up, cosine", "label_smoothing": 0.1,
              "augment": "shift up to 2 px, horizontal flip", "seed": args.seed, "threads": args.threads,
              "torch": torch.__version__, "seconds": round(time.time() - t0)}
    export(model, args, recipe, test_x, test_y, t0)


def export(model, args, recipe, test_x, test_y, t0):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())  # what the float16 file will hold
    preds = evaluate(model, test_x)
    acc = (preds == test_y).float().mean().item()
    dim = model.cls_token.shape[-1]
    depth = len(model.blocks)
    os.makedirs(args.out, exist_ok=True)
    sd = model.state_dict()
    tensors = {"patch_embed.weight": sd["patch_embed.weight"], "patch_embed.bias": sd["patch_embed.bias"],
               "cls_token": sd["cls_token"].reshape(1, -1), "pos_embed": sd["pos_embed"].reshape(-1, dim),
               "norm.weight": sd["norm.weight"], "norm.bias": sd["norm.bias"],
               "head.weight": sd["head.weight"], "head.bias": sd["head.bias"]}
    for i in range(depth):
        for part in ("norm1", "qkv", "proj", "norm2", "fc1", "fc2"):
            for kind in ("weight", "bias"):
                tensors[f"blocks.{i}.{part}.{kind}"] = sd[f"blocks.{i}.{part}.{kind}"]
    save_safetensors(os.path.join(args.out, "model.safetensors"), tensors)
    np.save(os.path.join(args.out, "test_predictions.npy"), preds.numpy().astype(np.uint8))
    meta = {"architecture": {"image": 28, "patch": model.patch, "tokens": model.pos_embed.shape[1], "dim": dim,
                             "depth": depth, "heads": model.blocks[0].heads, "mlp": model.blocks[0].fc1.out_features,
                             "classes": model.head.out_features, "layernorm_eps": 1e-6},
            "input": {"scale": 1 / 255.0, "mean": MEAN, "std": STD},
            "recipe": recipe,
            "fp32_test_accuracy": acc}
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"FP32 test accuracy {acc:.4f} (float16-rounded weights); wrote {args.out}")


if __name__ == "__main__":
    main()
