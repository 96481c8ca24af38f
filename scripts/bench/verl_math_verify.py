"""(a) of bench:verl-reward: veRL's own math_verify scorer as a reward.custom_reward_function (its
compute_score takes (solution, ground_truth); the custom-function contract passes data_source first)."""

from verl.utils.reward_score import math_verify


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    return math_verify.compute_score(solution_str, ground_truth)
