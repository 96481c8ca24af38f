"""The ``still_tool`` agent loop: tool-integrated rollouts in the markdown protocol of STILL-3-Tool (a
```python block, then ```output), with the code run in the TS sandbox.

The loop generates until a stop string of the run's dialect (``STILL_TOOL_STOP``), then sends the response
so far to TS (``still.tool``). TS owns the dialect and the sandbox (src/backends/verl/tools.ts): it finds
the call the text ends with, runs it, and returns the interpreter output in the dialect's bytes, which the
loop appends with response mask 0 (out of the policy loss, entropy and KL) and log-prob 0. The response
budget (``rollout.response_length``) covers sampled and appended tokens together.
"""

from __future__ import annotations

import json
import os
from typing import Any
from uuid import uuid4

from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopOutput, register
from verl.utils.profiler import simple_timer

from still_rl.bridge import shared as bridge


@register("still_tool")
class StillToolAgentLoop(AgentLoopBase):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.response_length = int(self.rollout_config.response_length)
        stop = os.environ.get("STILL_TOOL_STOP")
        if stop is None:
            raise RuntimeError("STILL_TOOL_STOP is not set: the still_tool agent loop needs a run with tools.enabled")
        self.tool_stop: list[str] = json.loads(stop)
        eos = self.tokenizer.eos_token_id
        self.eos = set(eos if isinstance(eos, list) else [eos])
        self.tool_timeout = float(os.environ.get("STILL_TOOL_TIMEOUT_S", "120"))

    async def run(self, sampling_params: dict[str, Any], **kwargs) -> AgentLoopOutput:
        prompt_ids = await self.ct_build_initial_tokens(list(kwargs["raw_prompt"]))
        params = dict(sampling_params)
        # The dialect's parser reads the stop string at the end of the text, as our HF engine keeps it.
        params["stop"] = list(params.get("stop") or []) + self.tool_stop
        params["include_stop_str_in_output"] = True
        request_id = uuid4().hex
        ids: list[int] = []
        mask: list[int] = []
        logprobs: list[float] = []
        calls = 0
        cells: list[dict] = []
        turns = 1
        metrics: dict[str, Any] = {}
        while len(ids) < self.response_length:
            room = self.response_length - len(ids)
            with simple_timer("generate_sequences", metrics):
                out = await self.server_manager.generate(
                    request_id=request_id,
                    prompt_ids=prompt_ids + ids,
                    sampling_params={**params, "max_tokens": room},
                )
            new = list(out.token_ids)[:room]
            ids += new
            mask += [1] * len(new)
            logprobs += list(out.log_probs or [0.0] * len(new))[: len(new)]
            turns += 1
            if not new or new[-1] in self.eos or len(ids) >= self.response_length:
                break
            text = self.tokenizer.decode(ids, skip_special_tokens=False)
            with simple_timer("tool_calls", metrics):
                reply = await bridge.arequest(
                    "still.tool", {"text": text, "calls": calls, "cells": cells}, timeout=self.tool_timeout
                )
            if reply["code"] is None:
                continue  # a stop string that closes no python block, or calls used up: generate on
            calls += 1
            if reply["cell"] is not None:
                cells.append(reply["cell"])
            appended = self.tokenizer.encode(reply["append"], add_special_tokens=False)[: self.response_length - len(ids)]
            ids += appended
            mask += [0] * len(appended)
            logprobs += [0.0] * len(appended)
            turns += 1
        return AgentLoopOutput(
            prompt_ids=prompt_ids,
            response_ids=ids,
            response_mask=mask,
            response_logprobs=logprobs if sampling_params.get("logprobs") else None,
            num_turns=turns,
            metrics=metrics,
            extra_fields={"tool_calls": calls, "turn_scores": [], "tool_rewards": []},
        )
