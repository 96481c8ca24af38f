"""Python clients of the still-rl reward service (``still reward serve``)."""

from .client import RewardClient, compute_score

__all__ = ["RewardClient", "compute_score"]
