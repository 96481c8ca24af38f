"""The ``still3`` trainer: veRL's synchronous V1 trainer with TypeScript in the loop.

Each step it asks TS for the step's directive (``still.directive``: KL and entropy coefficients, LR, the
context stage's response budget, reference reset), applies what veRL 0.9.1 can take in a running job, takes
its advantages from TS (``still.advantages``: rewards/group.ts, the code the HF backend runs) and reports the
step's metrics (``still.metrics``).

What a running veRL job cannot take: a new response budget (vLLM and the agent loop are sized at launch) and
a reference reset (the reference loads from ``model.path`` at launch). For those the directive of the step
before names the reason; after that step the trainer saves a checkpoint, tells TS (``still.relaunch``) and
stops, and the launcher relaunches from the checkpoint (src/backends/verl/directives.ts).
"""

from __future__ import annotations

import logging
import math
import os
from functools import partial

import numpy as np
import torch
import transfer_queue as tq
from omegaconf import open_dict
from tensordict import TensorDict
from transfer_queue import KVBatchMeta

from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync
from verl.utils.config import omega_conf_to_dataclass
from verl.workers.utils.losses import ppo_loss
from verl.workers.utils.padding import response_to_nested

from still_rl.bridge import shared as bridge

logger = logging.getLogger(__name__)


class RelaunchRequested(Exception):
    """Raised at the start of the step after a relaunch point; ``fit`` ends cleanly on it."""


@register_trainer("still3")
class Still3Trainer(PPOTrainerSync):
    def __init__(self, config):
        super().__init__(config)
        if config.algorithm.use_kl_in_reward:
            raise ValueError(
                "trainer.v1.trainer_mode=still3 takes sequence rewards and advantages from TS: set "
                "algorithm.use_kl_in_reward=false and put the KL in the actor loss (actor.use_kl_loss=true)"
            )
        if config.get("distillation") and config.distillation.get("enabled"):
            raise ValueError("trainer.v1.trainer_mode=still3 does not support distillation")
        self.directive: dict | None = None
        self._applied: tuple[float, float] | None = None
        self._relaunch: dict | None = None

    # ---- directives ----

    def on_step_begin(self):
        super().on_step_begin()
        if self._relaunch is not None:
            raise RelaunchRequested(self._relaunch)
        d = bridge.request(
            "still.directive",
            {
                "step": int(self.global_steps),
                "total_steps": int(self.total_training_steps),
                "response_length": int(self.config.data.max_response_length),
            },
        )
        self.directive = d
        self._apply(d)

    def _apply(self, d: dict) -> None:
        actor = self.config.actor_rollout_ref.actor
        kl, entropy = float(d["kl_coef"]), float(d["entropy_coef"])
        if kl > 0 and not actor.use_kl_loss:
            raise ValueError(
                f"step {d['step']}: the KL schedule asks for coefficient {kl} but actor_rollout_ref.actor.use_kl_loss "
                "is false, so the job has no reference model: compile kl.mode fixed/cosine with use_kl_loss=true"
            )
        if self._applied == (kl, entropy):
            return
        # The driver's copy too: _update_actor decides on entropy computation from it.
        with open_dict(self.config):
            actor.kl_loss_coef = kl
            actor.entropy_coeff = entropy
        self.actor_rollout_wg.set_loss_fn(partial(ppo_loss, config=omega_conf_to_dataclass(actor)))
        self._applied = (kl, entropy)

    def on_step_end(self):
        super().on_step_end()
        reasons = list(self.directive["relaunch_after"]) if self.directive else []
        if not reasons:
            return
        freq = self.config.trainer.save_freq
        if not (freq > 0 and self.global_steps % freq == 0):
            self._save_checkpoint()
        checkpoint = os.path.join(self.config.trainer.default_local_dir, f"global_step_{self.global_steps}")
        bridge.request(
            "still.relaunch", {"after_step": int(self.global_steps), "checkpoint": checkpoint, "reasons": reasons}
        )
        self._relaunch = {"after_step": int(self.global_steps), "checkpoint": checkpoint, "reasons": reasons}

    def fit(self, agent_loop_manager):
        try:
            super().fit(agent_loop_manager)
        except RelaunchRequested as r:
            logger.warning("still3: stopping after step %s for a relaunch: %s", r.args[0]["after_step"], r.args[0])
            self._shutdown_dump_executor()

    # ---- metrics ----

    def _compute_metrics(self, batch, metrics, timing_raw, global_steps, epoch):
        if self.directive is not None:
            metrics["still/kl_coef"] = float(self.directive["kl_coef"])
            metrics["still/entropy_coef"] = float(self.directive["entropy_coef"])
            metrics["still/lr"] = float(self.directive["lr"])
        super()._compute_metrics(batch, metrics, timing_raw, global_steps, epoch)
        self.report_metrics(int(global_steps), metrics)

    @staticmethod
    def report_metrics(step: int, metrics: dict) -> None:
        numbers = {}
        for k, v in metrics.items():
            if isinstance(v, (int, float, np.number)) or (torch.is_tensor(v) and v.numel() == 1):
                x = float(v)
                if math.isfinite(x):
                    numbers[k] = x
        bridge.request("still.metrics", {"step": step, "metrics": numbers})

    # ---- advantages ----

    def _compute_advantage(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        fields = ["uid", "response_mask", "responses", "rm_scores", "acc"]
        data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=fields)
        response_mask = data["response_mask"]
        lengths = response_mask.offsets().diff()
        budget = int(self.config.actor_rollout_ref.rollout.response_length)
        eos = self.tokenizer.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos])
        responses = data["responses"]
        last = [int(r[-1]) if len(r) else -1 for r in responses.unbind()]
        truncated = np.array([int(n) >= budget and t not in eos for n, t in zip(lengths.tolist(), last)], dtype=np.uint8)
        rewards = torch.stack([s.sum() for s in data["rm_scores"].unbind()]).double().numpy()
        uid = [str(u) for u in data["uid"]]
        acc = np.asarray([float(a) for a in data["acc"]])
        reply = bridge.request(
            "still.advantages",
            {
                "rewards": rewards,
                "groups": uid,
                "lengths": lengths.numpy().astype(np.int32),
                "truncated": truncated,
                "correct": (acc == 1.0).astype(np.uint8),
            },
        )
        included = torch.as_tensor(np.asarray(reply["included"]).astype(np.int64))
        metrics["still/excluded_ratio"] = float(1.0 - included.double().mean())
        mask = response_mask.to_padded_tensor(0) * included.unsqueeze(-1)
        adv = np.asarray(reply["advantages"], dtype=np.float64)
        from_critic = bool(np.isnan(adv).all())
        if from_critic != (self.config.algorithm.adv_estimator == "gae"):
            raise ValueError(
                f"algorithm.adv_estimator={self.config.algorithm.adv_estimator} in veRL, but the run config's "
                f"advantage_estimator gives {'none (critic)' if from_critic else 'group advantages'} in TS: "
                "compile both from the same run config"
            )
        if from_critic:
            # The critic's GAE runs in veRL; TS's ORM/QS/RS decide only which responses stay in the loss.
            tq.kv_batch_put(
                keys=batch.keys,
                partition_id=batch.partition_id,
                fields=TensorDict({"response_mask": response_to_nested(mask, response_mask)}, batch_size=len(batch)),
            )
            return super()._compute_advantage(batch, metrics)
        advantages = torch.as_tensor(adv, dtype=torch.float32).unsqueeze(-1) * mask
        out = TensorDict(
            {
                "advantages": response_to_nested(advantages, response_mask),
                "returns": response_to_nested(advantages.clone(), response_mask),
                "response_mask": response_to_nested(mask, response_mask),
            },
            batch_size=len(batch),
        )
        return tq.kv_batch_put(keys=batch.keys, partition_id=batch.partition_id, fields=out)
