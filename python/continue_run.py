#!/usr/bin/env python3
"""Continues a studio run in PyTorch, on one process or many (torchrun, DistributedDataParallel).

    python3 python/continue_run.py <run folder> [--steps N] [--out DIR] [--save-every N]
    torchrun --nproc_per_node 8 python/continue_run.py <run folder> ...

The run folder is what the studio's "Export run for PyTorch" (or `npm run export:pytorch`) writes:
model.safetensors + config.json, optimizer.safetensors (AdamW's exp_avg and exp_avg_sq in the
model's names and layout), training.json (settings, the step, the learning-rate rule, the data
order's position), train.bin, and for an LFR run schedule.json. Training goes on from the exported
step with the studio's learning-rate schedule, AdamW (its update, decay mask and clip) and data
order (the studio's shuffle, or the LFR schedule's batches, rebuilt by scripts/lfr_replay.py).

Each step's global batch (accumSteps x batchSize sequences) is split evenly across the ranks
(gloo on CPU, NCCL on GPUs), so the step's gradient is the studio's whatever the world size. It
writes <out>/losses.jsonl (one line per step: step, loss, lr, gradNorm, the blocks trained) and
<out>/step-<N>/: a run folder in the same format (continue it again; its model.safetensors and
config.json load in the studio's "Import Hugging Face GPT-2 weights" and in transformers).

Uses transformers' GPT2LMHeadModel when installed, else its own GPT-2 with the same names.
"""
import argparse
import contextlib
import json
import math
import os
import shutil
import struct
import sys

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import lfr_replay  # noqa: E402  (NumPy-only replayer, shared with the studio's tests)

FORMAT = "webgpu-training-studio/pytorch-run"


class RunError(Exception):
    """A folder this script cannot continue; the message says why and what to do."""


# --- safetensors (F32 only: what the studio writes) -------------------------------------------


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n :]
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise RunError(f"{path}: {name} is {t['dtype']}; the studio writes F32.")
        begin, end = t["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(t["shape"])
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu", torch.float32).contiguous()
        blob = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# --- the model ----------------------------------------------------------------------------------


class Conv1D(nn.Module):
    """transformers' Conv1D: weight (in, out), y = x @ W + b."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        C = c["n_embd"]
        self.n_head = c["n_head"]
        self.ln_1 = nn.LayerNorm(C, eps=c["layer_norm_epsilon"])
        self.attn = nn.Module()
        self.attn.c_attn = Conv1D(C, 3 * C)
        self.attn.c_proj = Conv1D(C, C)
        self.ln_2 = nn.LayerNorm(C, eps=c["layer_norm_epsilon"])
        self.mlp = nn.Module()
        self.mlp.c_fc = Conv1D(C, 4 * C)
        self.mlp.c_proj = Conv1D(4 * C, C)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (z.view(B, T, self.n_head, hs).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.attn.c_proj(y)
        return x + self.mlp.c_proj(gelu_new(self.mlp.c_fc(self.ln_2(x))))


class SmallGPT2(nn.Module):
    """GPT-2 with transformers' GPT2LMHeadModel parameter names; lm_head tied to wte."""

    def __init__(self, c):
        super().__init__()
        self.transformer = nn.Module()
        self.transformer.wte = nn.Embedding(c["vocab_size"], c["n_embd"])
        self.transformer.wpe = nn.Embedding(c["n_positions"], c["n_embd"])
        self.transformer.h = nn.ModuleList(Block(c) for _ in range(c["n_layer"]))
        self.transformer.ln_f = nn.LayerNorm(c["n_embd"], eps=c["layer_norm_epsilon"])

    def forward(self, idx):
        t = self.transformer
        x = t.wte(idx) + t.wpe(torch.arange(idx.shape[1], device=idx.device))
        for block in t.h:
            x = block(x)
        return t.ln_f(x) @ t.wte.weight.t()


def build_model(config):
    """transformers' GPT2LMHeadModel if installed, else SmallGPT2; returns (model, logits_of)."""
    try:
        from transformers import GPT2Config, GPT2LMHeadModel

        model = GPT2LMHeadModel(GPT2Config(**{k: v for k, v in config.items() if k != "architectures"}))
        model.eval()  # no dropout (the studio trains without it; the config's pdrops are 0 too)
        return model, lambda m, idx: m(idx).logits
    except ImportError:
        return SmallGPT2(config), lambda m, idx: m(idx)


def hf_key(name):
    return name if name.startswith("transformer.") else f"transformer.{name}"


# --- the studio's optimizer, schedule and data order -------------------------------------------


def lr_at(step, t):
    """src/train/lrSchedule.ts: linear warmup, then cosine to minLearningRate at maxSteps."""
    if step < t["warmupSteps"]:
        return t["learningRate"] * (step + 1) / t["warmupSteps"]
    if step >= t["maxSteps"]:
        return t["minLearningRate"]
    span = max(1, t["maxSteps"] - t["warmupSteps"])
    coeff = 0.5 * (1 + math.cos(math.pi * (step - t["warmupSteps"]) / span))
    return t["minLearningRate"] + coeff * (t["learningRate"] - t["minLearningRate"])


class StudioAdamW:
    """shaders/adamw.wgsl in float32: bias corrections and 1 - beta computed in float64, decay
    only for the parameters the run's mask lists, the gradient scaled by the clip first."""

    def __init__(self, named, decay, betas, eps, weight_decay, state, step):
        self.named = named
        self.decay = set(decay)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.m = {n: state[f"exp_avg.{n}"].clone().to(p.device) for n, p in named}
        self.v = {n: state[f"exp_avg_sq.{n}"].clone().to(p.device) for n, p in named}
        self.step = step

    @torch.no_grad()
    def update(self, lr, clip_scale):
        self.step += 1
        f32 = lambda x: torch.tensor(x, dtype=torch.float32)  # noqa: E731  the shader's f32 uniforms
        b1, omb1, b2, omb2 = f32(self.beta1), f32(1 - self.beta1), f32(self.beta2), f32(1 - self.beta2)
        ibc1, ibc2 = f32(1 / (1 - self.beta1**self.step)), f32(1 / (1 - self.beta2**self.step))
        lr32, eps = f32(lr), f32(self.eps)
        for name, p in self.named:
            g = p.grad * clip_scale
            m = self.m[name].mul_(b1).add_(omb1 * g)
            v = self.v[name].mul_(b2).add_(omb2 * (g * g))
            update = (m * ibc1) / ((v * ibc2).sqrt() + eps)
            if name in self.decay:
                update = update + f32(self.weight_decay) * p
            p.sub_(lr32 * update)

    def state(self):
        out = {}
        for name, _ in self.named:
            out[f"exp_avg.{name}"] = self.m[name]
            out[f"exp_avg_sq.{name}"] = self.v[name]
        return out


class Order:
    """The studio's batches from the exported position: its sampler, or the LFR schedule."""

    def __init__(self, folder, training, tokens):
        self.tokens = tokens
        self.T = training["model"]["blockSize"]
        order = training["order"]
        self.schedule = None
        if order["kind"] == "schedule":
            self.schedule = lfr_replay.load_schedule(os.path.join(folder, order["file"]))
            self.batches = lfr_replay.schedule_batches(self.schedule, tokens, training["step"])
        else:
            self.sampler = {k: order[k] for k in ("seed", "epoch", "cursor", "blocks")}
            if self.sampler["blocks"] != (len(tokens) - 1) // self.T:
                raise RunError("train.bin does not give the run's block count: use the run's own train.bin.")

    def next(self, step, per_step):
        """(ids, inputs, targets) of step `step`: ids (per_step), inputs/targets (per_step, T)."""
        if self.schedule is not None:
            got = next(self.batches, None)
            if got is None or got[0] != step:
                raise RunError(
                    f"The schedule file gives no batch for step {step}: the next Focus cut was not yet "
                    "made when the run was exported (it needs the scores of the whole phase before "
                    "it). Train past the cut in the studio and export again."
                )
            _, ids, inputs, targets = got
            return ids, inputs.reshape(per_step, self.T), targets.reshape(per_step, self.T)
        s = self.sampler
        ids, s["epoch"], s["cursor"] = lfr_replay.sampler_ids(s["seed"], s["blocks"], s["epoch"], s["cursor"], per_step)
        inputs, targets = lfr_replay.block_batch(self.tokens, ids, self.T)
        return ids, inputs, targets

    def position(self):
        return None if self.schedule is not None else dict(self.sampler)


# --- the run ------------------------------------------------------------------------------------


def load_folder(folder):
    with open(os.path.join(folder, "training.json"), encoding="utf-8") as f:
        training = json.load(f)
    if training.get("format") != FORMAT:
        raise RunError(f"{folder}/training.json is not a studio run folder (format {training.get('format')!r}).")
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    weights, _ = read_safetensors(os.path.join(folder, "model.safetensors"))
    state, meta = read_safetensors(os.path.join(folder, "optimizer.safetensors"))
    if int(meta["step"]) != training["step"]:
        raise RunError(f"optimizer.safetensors is at step {meta['step']}, training.json at {training['step']}.")
    tokens = lfr_replay.load_tokens(os.path.join(folder, training["data"]["file"]), training["data"])
    return training, config, weights, state, tokens


def save_folder(src, out, training, config, model, opt, order, history):
    os.makedirs(out, exist_ok=True)
    weights = {n.removeprefix("transformer."): p for n, p in model.named_parameters()}
    write_safetensors(os.path.join(out, "model.safetensors"), weights, {"format": "pt"})
    write_safetensors(os.path.join(out, "optimizer.safetensors"), opt.state(), {"format": "pt", "step": str(opt.step)})
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    saved = dict(training, step=opt.step, history=history)
    saved["lrSchedule"] = dict(training["lrSchedule"], nextStep=opt.step, nextLr=lr_at(opt.step, training["train"]))
    if order.position() is not None:
        saved["order"] = dict(training["order"], **order.position())
    with open(os.path.join(out, "training.json"), "w", encoding="utf-8") as f:
        json.dump(saved, f, indent=2)
    for name in [training["data"]["file"]] + ([training["order"]["file"]] if order.schedule else []):
        shutil.copyfile(os.path.join(src, name), os.path.join(out, name))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--steps", type=int, help="steps to train (default: to the run's maxSteps)")
    parser.add_argument("--out", help="where to write losses.jsonl and checkpoints (default <folder>/continued)")
    parser.add_argument("--save-every", type=int, default=0, help="also save every N steps")
    args = parser.parse_args(argv)

    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo", init_method="env://", rank=rank, world_size=world)
    torch.manual_seed(0)

    training, config, weights, state, tokens = load_folder(args.folder)
    t = training["train"]
    A, B, T = t["gradAccumSteps"], t["batchSize"], training["model"]["blockSize"]
    per_step = A * B
    if per_step % world != 0:
        raise RunError(f"A step's {per_step} sequences do not split evenly across {world} ranks: use a world size dividing {per_step}.")
    share = per_step // world

    model, logits_of = build_model(config)
    named_state = {hf_key(k): v for k, v in weights.items()}
    missing, unexpected = model.load_state_dict(named_state, strict=False)
    missing = [k for k in missing if not k.endswith(("attn.bias", "attn.masked_bias")) and k != "lm_head.weight"]
    if missing or unexpected:
        raise RunError(f"model.safetensors does not fit config.json: missing {missing}, unexpected {unexpected}.")
    model.to(device)
    named = [(n.removeprefix("transformer."), p) for n, p in model.named_parameters()]
    opt = StudioAdamW(named, training["adamw"]["decay"], (t["beta1"], t["beta2"]), training["adamw"]["eps"], t["weightDecay"], state, training["step"])
    ddp = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    order = Order(args.folder, training, tokens)

    start = training["step"]
    end = t["maxSteps"] if args.steps is None else min(t["maxSteps"], start + args.steps)
    out = args.out or os.path.join(args.folder, "continued")
    history = training["history"]
    if rank == 0:
        os.makedirs(out, exist_ok=True)
        log = open(os.path.join(out, "losses.jsonl"), "a", encoding="utf-8")
    for step in range(start, end):
        ids, inputs, targets = order.next(step, per_step)
        mine = slice(rank * share, (rank + 1) * share)
        x = torch.as_tensor(inputs[mine], device=device)
        y = torch.as_tensor(targets[mine], device=device)
        for p in model.parameters():
            p.grad = None
        # Sum of the token losses over the whole step / (A B T), times world: DDP averages.
        chunks = list(range(0, share, B))
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        for k, c in enumerate(chunks):
            xb, yb = x[c : c + B], y[c : c + B]
            sync = k == len(chunks) - 1 or world == 1
            ctx = ddp.no_sync() if not sync else contextlib.nullcontext()
            with ctx:
                logits = logits_of(ddp, xb)
                tok = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1), reduction="sum")
                (tok * (world / (per_step * T))).backward()
            loss_sum += tok.detach().double()
        if world > 1:
            dist.all_reduce(loss_sum)
        loss = (loss_sum / (per_step * T)).item()
        with torch.no_grad():
            norm = torch.sqrt(sum((p.grad.float() ** 2).sum() for _, p in named)).item()
        clip = t["gradClip"]
        scale = min(1.0, clip / (norm + 1e-6)) if clip > 0 else 1.0
        lr = lr_at(step, t)
        opt.update(lr, torch.tensor(scale, dtype=torch.float32))
        history["train"].append({"step": step + 1, "loss": loss, "lr": lr, "gradNorm": norm})
        if rank == 0:
            log.write(json.dumps({"step": step, "loss": loss, "lr": lr, "gradNorm": norm, "ids": list(map(int, ids))}) + "\n")
            log.flush()
            print(f"step {step + 1}: loss {loss:.6f} lr {lr:.3e} grad norm {norm:.4f}", flush=True)
            if args.save_every and (step + 1 - start) % args.save_every == 0 and step + 1 < end:
                save_folder(args.folder, os.path.join(out, f"step-{step + 1}"), training, config, model, opt, order, history)
    if rank == 0:
        save_folder(args.folder, os.path.join(out, f"step-{end}"), training, config, model, opt, order, history)
        log.close()
    if world > 1:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (RunError, lfr_replay.ReplayError) as e:
        print(f"continue_run: {e}", file=sys.stderr)
        sys.exit(1)
