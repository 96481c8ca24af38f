"""Policy-gradient loss terms, following the formulas of veRL's `verl/trainer/ppo/core_algos.py`.

Pure functions of tensors shaped (batch, response_length). Aggregation takes its denominator from the caller so
a mini-batch split into micro-batches sums to exactly the loss of the whole mini-batch.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

KL_ESTIMATORS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {}
LOSS_AGGREGATIONS = ("token-mean", "seq-mean-token-sum", "seq-mean-token-mean")

# veRL's dual-clip bound (clip_ratio_c, default 3.0): with a negative advantage the loss is capped at
# -advantage * 3, so one token whose ratio exploded cannot dominate the batch.
DUAL_CLIP_C = 3.0


def _kl(name: str):
    def register(fn):
        KL_ESTIMATORS[name] = fn
        return fn

    return register


@_kl("k1")
def _k1(logprob: torch.Tensor, ref_logprob: torch.Tensor) -> torch.Tensor:
    return logprob - ref_logprob


@_kl("k2")
def _k2(logprob: torch.Tensor, ref_logprob: torch.Tensor) -> torch.Tensor:
    return 0.5 * (logprob - ref_logprob).square()


@_kl("k3")
def _k3(logprob: torch.Tensor, ref_logprob: torch.Tensor) -> torch.Tensor:
    # Schulman's k3 = r - log r - 1 with r = p_ref / p: unbiased and never negative.
    log_ratio = ref_logprob - logprob
    return torch.exp(log_ratio) - log_ratio - 1


@_kl("low_var_kl")
def _low_var_kl(logprob: torch.Tensor, ref_logprob: torch.Tensor) -> torch.Tensor:
    # k3 with veRL's clamps: the log-ratio to [-20, 20] and the estimate to [-10, 10], for stability.
    log_ratio = torch.clamp(ref_logprob - logprob, min=-20.0, max=20.0)
    return torch.clamp(torch.exp(log_ratio) - log_ratio - 1, min=-10.0, max=10.0)


def kl_penalty(logprob: torch.Tensor, ref_logprob: torch.Tensor, estimator: str) -> torch.Tensor:
    fn = KL_ESTIMATORS.get(estimator)
    if fn is None:
        raise ValueError(f"unknown KL estimator {estimator!r}; expected one of {sorted(KL_ESTIMATORS)}")
    return fn(logprob, ref_logprob)


def aggregation_denominator(mask: torch.Tensor, mode: str) -> float:
    """The normaliser of `agg_loss` over a whole mini-batch: its token count or its count of non-empty rows."""
    if mode == "token-mean":
        return max(float(mask.sum()), 1.0)
    if mode in ("seq-mean-token-sum", "seq-mean-token-mean"):
        return max(float((mask.sum(-1) > 0).sum()), 1.0)
    raise ValueError(f"unknown loss aggregation {mode!r}; expected one of {list(LOSS_AGGREGATIONS)}")


def agg_loss(values: torch.Tensor, mask: torch.Tensor, mode: str, denominator: float) -> torch.Tensor:
    """Reduces a per-token matrix to a scalar; rows whose mask is all zero contribute nothing."""
    masked = values * mask
    if mode == "token-mean":
        return masked.sum() / denominator
    if mode == "seq-mean-token-sum":
        return masked.sum(-1).sum() / denominator
    if mode == "seq-mean-token-mean":
        return (masked.sum(-1) / (mask.sum(-1) + 1e-8)).sum() / denominator
    raise ValueError(f"unknown loss aggregation {mode!r}; expected one of {list(LOSS_AGGREGATIONS)}")


def clipped_policy_loss(
    logprob: torch.Tensor,
    old_logprob: torch.Tensor,
    advantages: torch.Tensor,
    clip_low: float,
    clip_high: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token PPO loss with asymmetric clipping and dual clip; also whether the clipped branch was taken."""
    log_ratio = torch.clamp(logprob - old_logprob, min=-20.0, max=20.0)
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1 - clip_low, 1 + clip_high)
    loss = torch.maximum(unclipped, clipped)
    dual = torch.minimum(-advantages * DUAL_CLIP_C, loss)
    loss = torch.where(advantages < 0, dual, loss)
    return loss, torch.gt(clipped, unclipped)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of the categorical distribution at every position, without materialising log-softmax twice."""
    lse = torch.logsumexp(logits, dim=-1)
    probs = torch.softmax(logits, dim=-1)
    return lse - (probs * logits).sum(-1)
