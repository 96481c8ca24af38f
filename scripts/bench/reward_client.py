"""Client side of `npm run bench:reward` (see reward.ts): sends N responses of ~SIZE bytes with ground truths
to the TS reward service over the bridge and times it end to end; then computes the same rewards the way veRL
does by default (Math-Verify parse + verify per sample, in this one process) on a subset and times that.

Prints one JSON line with the measurements."""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import deque

SENTENCES = [
    "Let me compute the sum of the first terms carefully, keeping track of every carry.",
    "We substitute x = 3 into the equation and simplify both sides of the expression.",
    "Wait, that does not look right; let me verify the previous step again.",
    "However, the constraint on n means we must also consider the boundary case.",
    "But the discriminant is negative, so there are no real roots in this interval.",
    "Alternatively, we can factor the polynomial as a product of two quadratics.",
    "So the area of the triangle is one half of the base times the height, $\\frac{1}{2}bh$.",
    "Hmm, the butterfly theorem might help here, but the rebuttal is that the chord is not fixed.",
    "Therefore $a^2 + b^2 = c^2$ holds and the triangle is right-angled at $C$.",
    "Checking modulo 7: $2^{3} \\equiv 1$, so the powers of two cycle with period three.",
]
KEYWORDS = re.compile(r"(?<![A-Za-z0-9_])(?:however|but|wait|verify|alternatively)(?![A-Za-z0-9_])", re.I)


def make_samples(n: int, size: int, seed: int = 0):
    rng = random.Random(seed)
    responses, golds = [], []
    for i in range(n):
        answer = rng.randint(1, 999)
        parts, length = [], 0
        while length < size - 64:
            s = SENTENCES[rng.randrange(len(SENTENCES))]
            parts.append(s)
            length += len(s) + 1
        kind = i % 10
        if kind < 6:
            tail = f" The final answer is $\\boxed{{{answer}}}$."
        elif kind < 9:
            tail = f" The final answer is $\\boxed{{{answer + 1}}}$."
        else:
            tail = " I am not sure."
        responses.append(" ".join(parts) + tail)
        golds.append(str(answer))
    return responses, golds


def bench_service(endpoint: str, responses, golds, batch: int, inflight: int):
    from still_rl.rewards import RewardClient

    client = RewardClient(endpoint)
    n = len(responses)
    rewards = [None] * n
    pending: deque = deque()
    c0 = time.process_time()
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        while len(pending) >= inflight:
            s, fut = pending.popleft()
            rewards[s : s + batch] = fut.result()["rewards"].tolist()
        end = min(n, start + batch)
        fut = client.submit(responses[start:end], golds[start:end], response_tokens=[len(r) // 4 for r in responses[start:end]], timeout=600)
        pending.append((start, fut))
    while pending:
        s, fut = pending.popleft()
        rewards[s : s + batch] = fut.result()["rewards"].tolist()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    client.close()
    return elapsed, cpu, rewards


def bench_python(responses, golds):
    from math_verify import parse, verify

    t0 = time.perf_counter()
    c0 = time.process_time()
    rewards = []
    for r, g in zip(responses, golds):
        answer = parse(r)
        correct = 1.0 if answer and verify(parse(g), answer) else 0.0
        actions = len(KEYWORDS.findall(r))
        rewards.append(correct + 0.5 * (min(actions, 20) / 20 + (1.0 if correct else -1.0)))
    return time.perf_counter() - t0, time.process_time() - c0, rewards


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--n", type=int, default=16384)
    p.add_argument("--size", type=int, default=32768)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--inflight", type=int, default=4)
    p.add_argument("--python-n", type=int, default=512)
    a = p.parse_args()
    t = time.perf_counter()
    responses, golds = make_samples(a.n, a.size)
    gen_s = time.perf_counter() - t
    total_bytes = sum(len(r.encode()) for r in responses) + sum(len(g) for g in golds)
    print("start", flush=True)
    ts_s, client_cpu, ts_rewards = bench_service(a.endpoint, responses, golds, a.batch, a.inflight)
    print("end", flush=True)
    sub = a.python_n
    py_s, py_cpu, py_rewards = bench_python(responses[:sub], golds[:sub])
    agree = sum(1 for x, y in zip(ts_rewards[:sub], py_rewards) if abs(x - y) < 1e-9)
    print(json.dumps({
        "n": a.n, "bytes": total_bytes, "gen_s": gen_s, "ts_s": ts_s, "client_cpu": client_cpu,
        "py_n": sub, "py_s": py_s, "py_cpu": py_cpu, "py_bytes": sum(len(r.encode()) for r in responses[:sub]),
        "agree": agree, "ts_mean_reward": sum(ts_rewards) / a.n,
    }))


if __name__ == "__main__":
    main()
