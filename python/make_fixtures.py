#!/usr/bin/env python3
"""Writes PyTorch ground truth for the studio's tests: src/reference/fixtures/*.json.

    /usr/bin/python3 python/make_fixtures.py [out dir]

Everything in float64, with PyTorch's own modules and optimizer (nn.Linear, F.layer_norm,
F.gelu(approximate="tanh"), F.cross_entropy, torch.optim.AdamW, clip_grad_norm_), written
independently of the studio's code and of python/continue_run.py:

- gpt-byte: a tiny GPT-2 with the byte vocabulary (256);
- gpt-bpe: one with GPT-2 BPE's vocabulary (50257), so the output head is a real-size softmax;

each with the studio's initial weights for its seed (src/model/init.ts reproduced here, and its
sha256 recorded so the tests prove the reproduction exact), one batch, the logits, the loss, every
gradient, and three AdamW steps (the loss before each, the parameters after the last) with
weight decay on the studio's decay mask and a global gradient clip;

- lora-adam: LoRA adapters on every linear layer of gpt-byte (W + (alpha / r) A B^T, A (out, r),
  B (in, r), A = 0 at the start) trained by torch.optim.Adam for three steps with the base frozen.

Large tensors are stored as their sum, sum of squares and a strided sample (the BPE model's
embedding gradient has 50257 x 8 values); everything else in full. Values are float64, base64.
"""
import base64
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from lfr_replay import Mulberry32  # noqa: E402  the studio's generator

torch.set_default_dtype(torch.float64)
FULL_LIMIT = 20000
SAMPLE = 997  # a prime stride, so the sample walks across rows and columns


class Rng(Mulberry32):
    """src/util/rng.ts's normal(): Box-Muller from two uniforms, the second value cached."""

    def __init__(self, seed):
        super().__init__(seed)
        self.spare = None

    def uniform(self):
        return self.next_u32() / 4294967296.0

    def normal(self):
        if self.spare is not None:
            s, self.spare = self.spare, None
            return s
        u = 1 - self.uniform()
        v = self.uniform()
        r = math.sqrt(-2 * math.log(u))
        self.spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)


def param_specs(c):
    """src/model/params.ts: (name, shape, decays, residual projection) in buffer order."""
    C = c["nEmbd"]
    specs = [("wte", [c["vocabSize"], C], True, False), ("wpe", [c["blockSize"], C], True, False)]
    for l in range(c["nLayer"]):
        h = f"h.{l}."
        specs += [
            (h + "ln_1.weight", [C], False, False),
            (h + "ln_1.bias", [C], False, False),
            (h + "attn.c_attn.weight", [3 * C, C], True, False),
            (h + "attn.c_attn.bias", [3 * C], False, False),
            (h + "attn.c_proj.weight", [C, C], True, True),
            (h + "attn.c_proj.bias", [C], False, False),
            (h + "ln_2.weight", [C], False, False),
            (h + "ln_2.bias", [C], False, False),
            (h + "mlp.c_fc.weight", [4 * C, C], True, False),
            (h + "mlp.c_fc.bias", [4 * C], False, False),
            (h + "mlp.c_proj.weight", [C, 4 * C], True, True),
            (h + "mlp.c_proj.bias", [C], False, False),
        ]
    return specs + [("ln_f.weight", [C], False, False), ("ln_f.bias", [C], False, False)]


def studio_init(c, seed):
    """src/model/init.ts: N(0, 0.02), residual projections N(0, 0.02 / sqrt(2 L)), biases 0,
    LayerNorm gains 1, drawn in table order from one stream; rounded to float32 as stored."""
    rng = Rng(seed)
    out = {}
    residual_std = 0.02 / math.sqrt(2 * c["nLayer"])
    for name, shape, _, residual in param_specs(c):
        n = int(np.prod(shape))
        if name.endswith(".bias"):
            values = np.zeros(n)
        elif "ln_" in name:
            values = np.ones(n)
        else:
            std = residual_std if residual else 0.02
            values = np.array([rng.normal() * std for _ in range(n)])
        out[name] = np.float32(values).astype(np.float64).reshape(shape)
    return out


def init_sha256(c, params):
    """sha256 of the float32 init in the studio's flat layout (tensors at 64-float offsets)."""
    chunks = []
    for name, shape, _, _ in param_specs(c):
        flat = params[name].astype(np.float32).ravel()
        pad = -len(flat) % 64
        chunks.append(np.concatenate([flat, np.zeros(pad, np.float32)]).astype("<f4").tobytes())
    return hashlib.sha256(b"".join(chunks)).hexdigest()


def gpt_forward(c, p, idx, lora=None):
    """GPT-2 from PyTorch's functional ops, studio layout (Linear weights are (out, in))."""
    B, T = idx.shape
    C, NH = c["nEmbd"], c["nHead"]
    hs = C // NH

    def linear(x, name):
        y = F.linear(x, p[name + ".weight"], p[name + ".bias"])
        if lora is not None and name in lora["A"]:
            y = y + lora["scale"] * F.linear(F.linear(x, lora["B"][name].t()), lora["A"][name])
        return y

    x = p["wte"][idx] + p["wpe"][:T]
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    for l in range(c["nLayer"]):
        h = f"h.{l}."
        a = F.layer_norm(x, (C,), p[h + "ln_1.weight"], p[h + "ln_1.bias"], 1e-5)
        q, k, v = linear(a, h + "attn.c_attn").split(C, dim=2)
        q, k, v = (z.reshape(B, T, NH, hs).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + linear(y, h + "attn.c_proj")
        m = F.layer_norm(x, (C,), p[h + "ln_2.weight"], p[h + "ln_2.bias"], 1e-5)
        x = x + linear(F.gelu(linear(m, h + "mlp.c_fc"), approximate="tanh"), h + "mlp.c_proj")
    x = F.layer_norm(x, (C,), p["ln_f.weight"], p["ln_f.bias"], 1e-5)
    return x @ p["wte"].t()


def tensor_record(t):
    a = t.detach().numpy().astype("<f8").ravel()
    rec = {"shape": list(t.shape), "sum": float(a.sum()), "sumSq": float((a * a).sum())}
    if a.size <= FULL_LIMIT:
        rec["f64"] = base64.b64encode(a.tobytes()).decode()
    else:
        rec["stride"] = SAMPLE
        rec["sample"] = base64.b64encode(a[::SAMPLE].copy().tobytes()).decode()
    return rec


def batch(c, seed, B):
    """B sequences of blockSize + 1 ids from the studio's generator (inputs and next-token targets)."""
    rng = Rng(seed)
    ids = np.array([rng.int(c["vocabSize"]) for _ in range(B * (c["blockSize"] + 1))]).reshape(B, -1)
    return torch.tensor(ids[:, :-1]), torch.tensor(ids[:, 1:])


def gpt_case(name, c, seed, train):
    params = studio_init(c, seed)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    inputs, targets = batch(c, seed + 1, train["batchSize"])
    logits = gpt_forward(c, p, inputs)
    loss = F.cross_entropy(logits.reshape(-1, c["vocabSize"]), targets.reshape(-1))
    loss.backward()
    grads = {k: tensor_record(v.grad) for k, v in p.items()}
    record = {
        "name": name,
        "model": c,
        "seed": seed,
        "initSha256": init_sha256(c, params),
        "inputs": inputs.tolist(),
        "targets": targets.tolist(),
        "logits": tensor_record(logits),
        "loss": loss.item(),
        "grads": grads,
        "train": train,
    }
    specs = param_specs(c)
    decay = [p[n] for n, _, d, _ in specs if d]
    no_decay = [p[n] for n, _, d, _ in specs if not d]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": train["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=train["lr"],
        betas=(train["beta1"], train["beta2"]),
        eps=1e-8,
    )
    losses, norms = [], []
    for _ in range(3):
        opt.zero_grad()
        step_loss = F.cross_entropy(gpt_forward(c, p, inputs).reshape(-1, c["vocabSize"]), targets.reshape(-1))
        step_loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(list(p.values()), train["gradClip"]).item())
        opt.step()
        losses.append(step_loss.item())
    record["adamw"] = {
        "losses": losses,
        "gradNorms": norms,
        "params": {k: tensor_record(v) for k, v in p.items()},
    }
    return record


def lora_case(c, seed, rank, alpha, lr):
    params = studio_init(c, seed)
    p = {k: torch.tensor(v) for k, v in params.items()}
    rng = Rng(seed + 2)
    targets_ = [n[: -len(".weight")] for n, shape, _, _ in param_specs(c) if n.startswith("h.") and len(shape) == 2]
    A = {n: torch.zeros(p[n + ".weight"].shape[0], rank, requires_grad=True) for n in targets_}
    Bm = {}
    for n in targets_:
        k = p[n + ".weight"].shape[1]
        values = np.float32([rng.normal() / math.sqrt(k) for _ in range(k * rank)]).astype(np.float64)
        Bm[n] = torch.tensor(values.reshape(k, rank), requires_grad=True)
    lora = {"A": A, "B": Bm, "scale": alpha / rank}
    inputs, targets = batch(c, seed + 3, 2)
    init = {n: {"A": tensor_record(A[n]), "B": tensor_record(Bm[n])} for n in targets_}
    opt = torch.optim.Adam([*A.values(), *Bm.values()], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(gpt_forward(c, p, inputs, lora).reshape(-1, c["vocabSize"]), targets.reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {
        "name": "lora-adam",
        "model": c,
        "seed": seed,
        "initSha256": init_sha256(c, params),
        "rank": rank,
        "alpha": alpha,
        "lr": lr,
        "targets": targets_,
        "inputs": inputs.tolist(),
        "labels": targets.tolist(),
        "init": init,
        "losses": losses,
        "after": {n: {"A": tensor_record(A[n]), "B": tensor_record(Bm[n])} for n in targets_},
    }


TRAIN = {"batchSize": 2, "lr": 1e-2, "beta1": 0.9, "beta2": 0.95, "weightDecay": 0.1, "gradClip": 1.0}


def main(argv):
    out = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "reference", "fixtures")
    os.makedirs(out, exist_ok=True)
    byte = {"blockSize": 7, "vocabSize": 256, "nLayer": 2, "nHead": 2, "nEmbd": 8}
    bpe = {"blockSize": 5, "vocabSize": 50257, "nLayer": 1, "nHead": 2, "nEmbd": 8}
    cases = [
        gpt_case("gpt-byte", byte, 1337, TRAIN),
        gpt_case("gpt-bpe", bpe, 42, TRAIN),
        lora_case(byte, 1337, 4, 8.0, 1e-2),
    ]
    header = {"madeBy": "python/make_fixtures.py", "torch": torch.__version__}
    for case in cases:
        path = os.path.join(out, f"{case['name']}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({**header, **case}, f, indent=1)
            f.write("\n")
        print(f"{path}: {os.path.getsize(path)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
