#!/usr/bin/env python3
"""Replays a studio run's batches exactly, with NumPy only.

    python3 scripts/lfr_replay.py <schedule.json> <train.bin> [--dump] [--from-step N]

Reads an LFR (or random baseline) schedule file saved by the studio ("Schedule (JSON)", format
version 2) and the token .bin its block ids index, checks the tokens against the file's sha256,
rebuilds every step's block ids from the shuffle rule the file spells out (mulberry32, Fisher-Yates,
padding into the next epoch), takes a block's tokens from its start position (the file's blockStarts
for a sampled run, else id * blockSize), checks them against the file's own list and its visit log, and
prints a summary; --dump prints one JSON line per step: {"step", "ids", "inputs", "targets"}.

A PyTorch data loader imports it: `schedule_batches(schedule, tokens)` yields (step, ids, inputs,
targets) with inputs and targets (accumSteps, batchSize, blockSize) int64 arrays. The plain run's
sampler (no schedule) is `sampler_ids`: the same generator, seeded per epoch as src/data/blocks.ts.
"""
import argparse
import hashlib
import json
import sys

import numpy as np

U32 = 0xFFFFFFFF
VERSION = 2
DTYPES = {"uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32}


def imul(a, b):
    """32-bit wrapping multiplication (JavaScript's Math.imul), as an unsigned u32."""
    return (a * b) & U32


class Mulberry32:
    """src/util/rng.ts: one u32 of state; int(n) = floor(u32 / 2^32 * n) in float64."""

    def __init__(self, seed):
        self.state = seed & U32

    def next_u32(self):
        self.state = (self.state + 0x6D2B79F5) & U32
        t = self.state
        t = imul(t ^ (t >> 15), t | 1)
        t = (t ^ ((t + imul(t ^ (t >> 7), t | 61)) & U32)) & U32
        return (t ^ (t >> 14)) & U32

    def int(self, n):
        return int((self.next_u32() / 4294967296.0) * n)


def fisher_yates(ids, seed):
    """ids shuffled in place by the studio's rule: for i = n-1 down to 1, swap i with int(i+1)."""
    rng = Mulberry32(seed)
    for i in range(len(ids) - 1, 0, -1):
        j = rng.int(i + 1)
        ids[i], ids[j] = ids[j], ids[i]
    return ids


def epoch_seed(seed, phase, epoch):
    """A schedule's epoch seed (src/lfr/schedule.ts epochSeed)."""
    return (seed ^ imul(phase + 1, 0x85EBCA6B) ^ imul(epoch + 1, 0x9E3779B9)) & U32


def sampler_ids(seed, count, epoch, cursor, n):
    """The next n block ids of a plain run's BatchSampler at (epoch, cursor), and where it ends.

    Every block once per epoch, each epoch shuffled from (seed ^ imul(epoch + 1, 0x9e3779b9)),
    a batch at an epoch's end completed from the next epoch.
    """
    out = []
    order = None
    while len(out) < n:
        if order is None:
            order = fisher_yates(list(range(count)), (seed ^ imul(epoch + 1, 0x9E3779B9)) & U32)
        out.append(order[cursor])
        cursor += 1
        if cursor == count:
            epoch, cursor, order = epoch + 1, 0, None
    return out, epoch, cursor


class ReplayError(Exception):
    """The file or the tokens do not describe a replayable run; the message says what."""


def load_schedule(path):
    with open(path, encoding="utf-8") as f:
        schedule = json.load(f)
    if schedule.get("version") != VERSION:
        raise ReplayError(
            f"{path} has version {schedule.get('version')!r}; this replayer reads version {VERSION}: "
            "save the schedule again from the studio."
        )
    return schedule


def load_tokens(path, data):
    """The token stream of a .bin file, checked against the schedule's data record (if any)."""
    with open(path, "rb") as f:
        raw = f.read()
    if data is None:
        return np.frombuffer(raw, dtype=np.uint16 if len(raw) % 2 == 0 else np.uint8)
    digest = hashlib.sha256(raw).hexdigest()
    want = data["tokens"]
    if digest != want["sha256"]:
        raise ReplayError(
            f"{path} has sha256 {digest}, but the schedule was made on tokens with sha256 "
            f"{want['sha256']}: use the run's own train .bin."
        )
    tokens = np.frombuffer(raw, dtype=np.dtype(DTYPES[want["dtype"]]).newbyteorder("<"))
    if len(tokens) != want["count"]:
        raise ReplayError(f"{path} holds {len(tokens)} tokens, the schedule says {want['count']}.")
    return tokens


def schedule_step_ids(schedule):
    """Every step's block ids (accumSteps * batchSize each), rebuilt from the rule, in order.

    Stops at the first phase whose kept ids the file does not have (a cut still pending).
    """
    B, A, seed = schedule["batchSize"], schedule["accumSteps"], schedule["seed"]
    for index, phase in enumerate(schedule["phases"]):
        kept = phase["keptIds"]
        if kept is None:
            return
        cache = {}
        for s in range(phase["endStep"] - phase["startStep"]):
            ids = []
            for p in range(s * A * B, (s + 1) * A * B):
                epoch = p // len(kept)
                if epoch not in cache:
                    cache.clear()
                    cache[epoch] = fisher_yates(list(kept), epoch_seed(seed, index, epoch))
                ids.append(cache[epoch][p % len(kept)])
            yield ids


def block_batch(tokens, ids, block_size, starts=None):
    """inputs, targets (len(ids), blockSize) int64 of the blocks `ids`.

    Block i starts at starts[i] (the file's blockStarts, for a sampled run) or else at i*T.
    """
    T = block_size
    inputs = np.empty((len(ids), T), dtype=np.int64)
    targets = np.empty((len(ids), T), dtype=np.int64)
    for b, i in enumerate(ids):
        start = i * T if starts is None else starts[i]
        window = tokens[start : start + T + 1]
        inputs[b] = window[:T]
        targets[b] = window[1:]
    return inputs, targets


def schedule_batches(schedule, tokens, from_step=0):
    """(trainer step, ids, inputs, targets) of every known step from `from_step` (a trainer step).

    inputs, targets are (accumSteps, batchSize, blockSize): micro-batch a is [a].
    """
    A, B, T = schedule["accumSteps"], schedule["batchSize"], schedule["blockSize"]
    first = schedule["firstStep"]
    for s, ids in enumerate(schedule_step_ids(schedule)):
        step = first + s
        if step < from_step:
            continue
        inputs, targets = block_batch(tokens, ids, T, schedule.get("blockStarts"))
        yield step, ids, inputs.reshape(A, B, T), targets.reshape(A, B, T)


def check(schedule):
    """The rebuilt ids against the file's own step list and visit log; returns (steps, visits)."""
    rebuilt = list(schedule_step_ids(schedule))
    listed = schedule["steps"]
    if len(rebuilt) != len(listed):
        raise ReplayError(f"The rule gives {len(rebuilt)} steps; the file lists {len(listed)}.")
    for s, (a, b) in enumerate(zip(rebuilt, listed)):
        if a != b:
            raise ReplayError(f"Step {s}: the rule gives blocks {a}, the file lists {b}.")
    first = schedule["firstStep"]
    rows = schedule["visits"]["rows"]
    per_step = schedule["accumSteps"] * schedule["batchSize"]
    for k, (step, block, _loss) in enumerate(rows):
        ids = rebuilt[step - first]
        if ids[k % per_step] != block:
            raise ReplayError(f"Visit {k} (step {step}) trained block {block}; the rule gives {ids}.")
    return len(rebuilt), len(rows)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("schedule")
    parser.add_argument("tokens")
    parser.add_argument("--dump", action="store_true", help="one JSON line per step")
    parser.add_argument("--from-step", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        schedule = load_schedule(args.schedule)
        tokens = load_tokens(args.tokens, schedule.get("data"))
        steps, visits = check(schedule)
        if args.dump:
            for step, ids, inputs, targets in schedule_batches(schedule, tokens, args.from_step):
                line = {"step": step, "ids": ids, "inputs": inputs.tolist(), "targets": targets.tolist()}
                print(json.dumps(line, separators=(",", ":")))
        else:
            print(f"{steps} steps rebuilt and equal to the file's; {visits} logged visits agree.")
    except (ReplayError, OSError, ValueError, KeyError) as e:
        print(f"lfr_replay: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
