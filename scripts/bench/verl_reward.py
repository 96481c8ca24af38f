"""bench:verl-reward, Python side: veRL's RewardLoopWorker scores the same DataProto with (a) the naive manager
and veRL's math_verify compute_score, and (b) the still manager -> TS reward service. Prints one JSON line.

argv: tiny model dir, n, response size (bytes). BENCH_TOKENIZER: bpe (default: ~2.7 bytes a token, near a real
model's) or bytes (the tiny model's own tokenizer, one token a byte)."""

import json
import os
import random
import sys
import time

import numpy as np
import torch
from hydra import compose, initialize_config_module
from tensordict import TensorDict
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

import verl  # noqa: F401  loads the plugin
from verl import DataProto
from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

model_dir, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(0)

STEPS = [
    "Let me compute {a} * {b} = {c}.",
    "Wait, I should double-check: {c} - {a} = {d}.",
    "Alternatively, consider the equation $x^2 - {a}x + {b} = 0$ with roots summing to {a}.",
    "So far we have $\\frac{{{a}}}{{{b}}}$ as an intermediate ratio.",
    "Hmm, let me verify this step again carefully.",
]


def response(answer: str) -> str:
    parts = []
    while sum(map(len, parts)) < size - 40:
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        parts.append(rng.choice(STEPS).format(a=a, b=b, c=a * b, d=a * b - a))
    return " ".join(parts) + f" Therefore the answer is $\\boxed{{{answer}}}$."


truths, texts = [], []
for i in range(n):
    gt = str(rng.randint(1, 999)) if i % 3 else f"\\frac{{{rng.randint(1, 9)}}}{{{rng.randint(11, 19)}}}"
    truths.append(gt)
    texts.append(response(gt if i % 2 == 0 else "12345"))


def bpe_tokenizer():
    """A byte-level BPE trained on these responses: about 2.7 bytes a token, near what Qwen2.5's tokenizer gives
    on math text (the tiny model's own tokenizer has one token a byte, about 3x the ids of a real model's)."""
    base = AutoTokenizer.from_pretrained(model_dir)
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1000,
        special_tokens=[base.eos_token, base.pad_token],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(texts[:64], trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token=base.eos_token, pad_token=base.pad_token, clean_up_tokenization_spaces=False
    )


if os.environ.get("BENCH_TOKENIZER", "bpe") == "bpe":
    bpe_tokenizer().save_pretrained(model_dir)  # RewardLoopWorker loads the tokenizer from the model path
tok = AutoTokenizer.from_pretrained(model_dir)
ids = [tok.encode(t, add_special_tokens=False) + [tok.eos_token_id] for t in texts]
budget = max(map(len, ids))
pad = tok.pad_token_id
data = DataProto(
    batch=TensorDict(
        {
            "prompts": torch.full((n, 8), pad),
            "responses": torch.tensor([x + [pad] * (budget - len(x)) for x in ids]),
            "attention_mask": torch.tensor([[0] * 8 + [1] * len(x) + [0] * (budget - len(x)) for x in ids]),
        },
        batch_size=n,
    ),
    non_tensor_batch={
        "data_source": np.array(["math"] * n, dtype=object),
        "reward_model": np.array([{"ground_truth": g} for g in truths], dtype=object),
        "uid": np.array([f"g{i // 8}" for i in range(n)], dtype=object),
    },
)


def worker(*overrides):
    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        cfg = compose(
            "ppo_trainer",
            overrides=[
                f"actor_rollout_ref.model.path={model_dir}",
                f"actor_rollout_ref.rollout.response_length={budget}",
                *overrides,
            ],
        )
    return RewardLoopWorker(cfg)


REPS = int(os.environ.get("BENCH_REPS", "3"))


def timed(w):
    """One batch, after an 8-sample warm-up (pools, connections) on the first call."""
    if not hasattr(w, "round_trips_before"):
        w.loop.run_until_complete(w.compute_score_batch(data[:8]))
        w.round_trips_before = getattr(w.reward_manager, "round_trips", 0)
    t = time.perf_counter()
    out = w.loop.run_until_complete(w.compute_score_batch(data))
    return time.perf_counter() - t, out


here = os.path.dirname(os.path.abspath(__file__))
a = worker(
    "reward.reward_manager.name=naive",
    f"reward.custom_reward_function.path={os.path.join(here, 'verl_math_verify.py')}",
    "reward.custom_reward_function.name=compute_score",
)
b = worker("reward.reward_manager.name=still")
# Interleaved, so that a burst of load on the shared machine hits both paths alike; medians reported.
a_runs, b_runs = [], []
for _ in range(REPS):
    a_runs.append(timed(a))
    b_runs.append(timed(b))
expected = [1.0 if i % 2 == 0 else 0.0 for i in range(n)]
a_correct = min(sum(float(o["reward_score"]) == y for o, y in zip(out, expected)) for _, out in a_runs)
b_correct = min(sum(o["reward_extra_info"]["acc"] == y for o, y in zip(out, expected)) for _, out in b_runs)
print(json.dumps({
    "n": n,
    "bytes": sum(map(len, texts)),
    "tokens": sum(map(len, ids)),
    "a_runs": [s for s, _ in a_runs],
    "b_runs": [s for s, _ in b_runs],
    "a_correct": a_correct,
    "b_correct": b_correct,
    "b_round_trips": (b.reward_manager.round_trips - b.round_trips_before) / REPS,
}))
