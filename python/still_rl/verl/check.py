"""Check a compiled veRL launch against veRL itself, without starting anything.

``python -m still_rl.verl.check`` reads ``{"launches": [{"overrides": [...]}, ...]}`` as JSON on stdin and
prints ``{"results": [{"errors": [{"stage": ..., "message": ...}]}, ...]}``, one result per launch (one
process checks many: importing veRL is most of the time). The stages:
the still-rl plugin imported from its entry point (veRL swallows plugin import errors), Hydra composition
with veRL's own config, ``validate_config``, and what veRL checks only at run time: dataclass conversion of
``algorithm``, the rollout and the actor, the advantage-estimator registry, the trainer registry and the
reward-manager registry. Stages after a failed composition are skipped (they need a config).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import warnings
from importlib.metadata import entry_points
from typing import Any, Callable

OURS = "still_rl"


def _message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause).strip() and str(cause).strip() not in text:
        text = f"{text}: {str(cause).strip()}"
    return text


def load_plugin() -> list[str]:
    """Import every still-rl ``verl.plugins`` entry point; a missing or broken one is an error."""
    ours = [ep for ep in entry_points(group="verl.plugins") if ep.value.split(".")[0] == OURS]
    if not ours:
        return [
            "the still-rl veRL plugin is not installed in this interpreter (no verl.plugins entry point from "
            "still_rl): run `npm run setup:verl`"
        ]
    errors = []
    for ep in ours:
        try:
            ep.load()
        # BaseException: the plugin turns its own import failure into SystemExit (veRL swallows Exception).
        except BaseException as exc:  # noqa: BLE001 - every import failure is reported, with its type
            errors.append(f"the still-rl veRL plugin failed to import ({ep.name} = {ep.value}): "
                          f"{type(exc).__name__}: {_message(exc)}")
    return errors


def check(request: dict[str, Any]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fn()
        except Exception as exc:  # noqa: BLE001 - reported per stage
            errors.append({"stage": name, "message": _message(exc)})
            return None

    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    def compose_config():
        GlobalHydra.instance().clear()
        with initialize_config_module(config_module="verl.trainer.config", version_base=None):
            return compose("ppo_trainer", overrides=list(request["overrides"]))

    cfg = stage("compose", compose_config)
    if cfg is None:
        return errors

    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config

    stage("validate_config", lambda: validate_config(cfg, need_reference_policy(cfg), need_critic(cfg)))
    stage("algorithm", lambda: omega_conf_to_dataclass(cfg.algorithm))
    stage("rollout", lambda: omega_conf_to_dataclass(cfg.actor_rollout_ref.rollout))
    stage("actor", lambda: omega_conf_to_dataclass(cfg.actor_rollout_ref.actor))

    def estimator():
        from verl.trainer.ppo.core_algos import get_adv_estimator_fn

        get_adv_estimator_fn(cfg.algorithm.adv_estimator)

    stage("adv_estimator", estimator)

    def trainer():
        from verl.trainer.ppo.v1.trainer_base import get_trainer_cls

        get_trainer_cls(cfg.trainer.v1.trainer_mode)

    stage("trainer", trainer)

    def reward_manager():
        from verl.experimental.reward_loop.reward_manager.registry import get_reward_manager_cls

        if cfg.reward.reward_manager.source == "register":
            get_reward_manager_cls(cfg.reward.reward_manager.name)

    stage("reward_manager", reward_manager)

    def agent_loop():
        from verl.experimental.agent_loop.agent_loop import _agent_loop_registry

        name = cfg.actor_rollout_ref.rollout.agent.default_agent_loop
        if name not in _agent_loop_registry:
            raise ValueError(f"Unknown agent loop '{name}'. Registered: {', '.join(sorted(_agent_loop_registry))}")

    stage("agent_loop", agent_loop)
    return errors


def main() -> None:
    request = json.load(sys.stdin)
    plugin = [{"stage": "plugin", "message": m} for m in load_plugin()]
    results = [{"errors": plugin + check(launch)} for launch in request["launches"]]
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
