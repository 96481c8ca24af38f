"""The ``still`` reward manager: veRL's reward loop scores with the TS reward service, one bridge round trip
per batch.

veRL calls ``run_single`` once per sample, concurrently (``RewardLoopWorker.compute_score_batch`` starts one
task per sample; the agent loop calls ``compute_score`` as each rollout ends). Calls that arrive within
``LINGER_S`` of each other go to TS as one ``score`` request with what veRL's own managers never pass on:
the response token count and whether the response hit the budget without EOS. No group ids: a batch here
need not hold whole groups; the still3 trainer asks TS for the step's advantages over the whole batch.
Responses travel as token ids, which TS decodes with the tokenizer's byte table (still_rl/rewards/
token_table.py: exact for byte-level BPE, and far faster than decoding here); a tokenizer without an exact
table has its responses decoded here and sent as text.

Every sample returns the same extra keys (``STILL_REWARD_KEYS`` from the TS side, plus ``truncated``,
``response_tokens`` and ``still_fallback``): veRL takes the key set from the first sample. A component a
sample lacks is NaN. TS gives failing or late rewards the configured fallback with a flag; if TS itself does
not answer within ``STILL_REWARD_TIMEOUT_S``, the whole batch gets the fallback with ``timeout`` (or
``error``) and ``still_fallback`` set, and the step goes on.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
from typing import Any

import numpy as np

from verl import DataProto
from verl.experimental.reward_loop.reward_manager import register
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

from still_rl.bridge import DeadlineExceeded
from still_rl.rewards.client import RewardClient
from still_rl.rewards.token_table import token_table

logger = logging.getLogger(__name__)

#: How long the first call of a batch waits for others (the agent loop's per-rollout calls trickle in).
LINGER_S = 0.005
_connections = itertools.count(1)
#: Own keys of the manager, after the plan's.
OWN_KEYS = ("truncated", "response_tokens", "still_fallback")


def _env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise RuntimeError(
            f"{name} is not set: the still reward manager runs inside a job started by `still train`, "
            "which passes the TS services' environment (startVerlServices().env)"
        )
    return value


@register("still")
class StillRewardManager(RewardManagerBase):
    def __init__(self, config, tokenizer, compute_score, reward_router_address=None, reward_model_tokenizer=None):
        super().__init__(config, tokenizer, compute_score)
        if config.reward.custom_reward_function.get("path"):
            raise ValueError(
                "reward.custom_reward_function.path is set, but reward.reward_manager.name=still scores with the "
                "TS reward service: remove one of them"
            )
        self.keys = [k for k in _env("STILL_REWARD_KEYS").split(",") if k] + list(OWN_KEYS)
        self.fallback = float(_env("STILL_REWARD_FALLBACK"))
        self.timeout = float(_env("STILL_REWARD_TIMEOUT_S"))
        self.budget = int(config.actor_rollout_ref.rollout.response_length)
        eos = tokenizer.eos_token_id
        self.eos = set(eos if isinstance(eos, list) else [eos])
        #: Responses go to TS as token ids when the tokenizer decodes by table, else as text.
        self.table = token_table(tokenizer)
        self._client: asyncio.Future | None = None
        self._pending: list[tuple[DataProto, asyncio.Future]] = []
        self._flush: asyncio.TimerHandle | None = None
        #: Bridge round trips made (one per batch; tests check it).
        self.round_trips = 0

    async def run_single(self, data: DataProto) -> dict:
        # The running loop, not the one captured at construction: a Ray async actor runs methods on its own.
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._pending.append((data, fut))
        if self._flush is None:
            self._flush = loop.call_later(LINGER_S, lambda: loop.create_task(self._send()))
        return await fut

    def _columns(self, rows: list[DataProto]) -> dict[str, Any]:
        """The batch as the score request's columns. Columns, not ``data[-1:][0]``: building a DataProtoItem
        costs about 1 ms per sample. The last row: for multi-sequence outputs veRL scores the last one."""
        responses, tokens = [], []
        for data in rows:
            response = data.batch["responses"][-1]
            tokens.append(int(data.batch["attention_mask"][-1][-response.shape[-1] :].sum()))
            responses.append(response.numpy())
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(tokens, out=offsets[1:])
        ids = np.empty(int(offsets[-1]), dtype=np.uint32 if self.table else np.int64)
        for response, a, b in zip(responses, offsets[:-1], offsets[1:]):
            ids[a:b] = response[: b - a]
        last = [int(ids[b - 1]) if b > a else None for a, b in zip(offsets[:-1], offsets[1:])]
        return {
            "ids": ids,
            "offsets": offsets,
            "response_tokens": tokens,
            "truncated": [n >= self.budget and t not in self.eos for n, t in zip(tokens, last)],
            "ground_truths": [d.non_tensor_batch["reward_model"][-1]["ground_truth"] for d in rows],
            "data_sources": [
                str(d.non_tensor_batch["data_source"][-1]) if "data_source" in d.non_tensor_batch else "" for d in rows
            ],
        }

    def _submit(self, client: RewardClient, c: dict[str, Any]):
        """Token ids when the tokenizer has an exact table (TS decodes them), else text decoded here."""
        columns = {k: c[k] for k in ("response_tokens", "truncated", "data_sources")}
        if self.table is not None:
            return client.submit_ids(c["ids"], c["offsets"], self.table, c["ground_truths"], timeout=self.timeout, **columns)
        ids, offsets = c["ids"], c["offsets"]
        texts = self.tokenizer.batch_decode(
            [ids[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])], skip_special_tokens=True
        )
        return client.submit(texts, c["ground_truths"], timeout=self.timeout, **columns)

    async def _send(self) -> None:
        batch, self._pending, self._flush = self._pending, [], None
        loop = asyncio.get_running_loop()
        self.round_trips += 1
        try:
            c = self._columns([data for data, _ in batch])
        except Exception as e:  # noqa: BLE001  rows veRL cannot have meant (no ground truth...): its callers see why
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(e)
            return
        try:
            client = await asyncio.wait_for(asyncio.shield(self._connect()), self.timeout)
            # Off the event loop: registering a token table waits for TS, decoding text takes a while.
            future = await loop.run_in_executor(None, self._submit, client, c)
            reply = await asyncio.wait_for(asyncio.wrap_future(future), self.timeout + 1.0)
            results = self._results(c, reply)
        except Exception as e:  # noqa: BLE001  a dead or hung service must not stop the step
            flag = "timeout" if isinstance(e, (asyncio.TimeoutError, TimeoutError, DeadlineExceeded)) else "error"
            logger.error("still reward manager: %d samples get the fallback %s (%s: %s)", len(batch), self.fallback, flag, e)
            results = [self._fallback(c, i, flag) for i in range(len(batch))]
        for (_, fut), result in zip(batch, results):
            if not fut.done():
                fut.set_result(result)

    def _connect(self) -> asyncio.Future:
        """The client, connected once per manager off the event loop (the handshake blocks); a failed
        connection is retried by the next batch."""
        if self._client is None or (self._client.done() and self._client.exception() is not None):
            name = f"verl-reward-{os.getpid()}-{id(self):x}-{next(_connections)}"
            self._client = asyncio.get_running_loop().run_in_executor(
                None, lambda: RewardClient(name=name, connect_timeout=self.timeout)
            )
        return self._client

    def _info(self, c: dict[str, Any], i: int) -> dict[str, float]:
        info = {k: math.nan for k in self.keys}
        info["truncated"] = float(c["truncated"][i])
        info["response_tokens"] = float(c["response_tokens"][i])
        info["still_fallback"] = 0.0
        return info

    def _results(self, c: dict[str, Any], reply: dict[str, Any]) -> list[dict]:
        rewards = reply["rewards"]
        components = {k: v for k, v in reply["components"].items() if k in self.keys}
        flags = [k for k in self.keys if k in ("timeout", "error") or k.endswith((".timeout", ".error"))]
        out = []
        for i in range(len(rewards)):
            info = self._info(c, i)
            for k, col in components.items():
                info[k] = float(col[i])
            if any(info.get(k) == 1.0 for k in flags):
                info["still_fallback"] = 1.0
            out.append({"reward_score": float(rewards[i]), "reward_extra_info": info})
        return out

    def _fallback(self, c: dict[str, Any], i: int, flag: str) -> dict:
        info = self._info(c, i)
        info[flag] = 1.0
        info["still_fallback"] = 1.0
        return {"reward_score": self.fallback, "reward_extra_info": info}
