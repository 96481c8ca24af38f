"""The STILL-3 tool agent for OpenRLHF (``--train.agent_func_path <this file>``): tool-integrated rollouts in
the markdown protocol (a ```python block, then ```output), with the code run in the still-rl sandbox and the
reward computed by the still-rl reward service, both over the bridge.

OpenRLHF's ``MultiTurnAgentExecutor`` drives the episode: it generates, calls ``AgentInstance.step`` with the
action text, appends the returned feedback with action mask 0 (out of the loss), and stops on ``done``. This
agent adds the dialect's stop strings (``STILL_TOOL_STOP``) to the sampling parameters, sends each action's
response-so-far to TS (``still.tool``, the same request veRL's ``still_tool`` agent loop sends; TS owns the
dialect and the sandbox: src/backends/verl/tools.ts), and at the end of the episode scores the whole response
with ``score`` (the run's reward plan, its deadlines and fallbacks). A reward service that does not answer gives
the run's fallback reward with ``still_fallback`` = 1, never a missing reward.

OpenRLHF loads this file by path in each vLLM actor; the bridge environment (STILL_BRIDGE_*) comes from the job.
"""

from __future__ import annotations

import contextvars
import json
import os
from copy import deepcopy
from typing import Any

import torch
from openrlhf.utils.agent import AgentInstanceBase, MultiTurnAgentExecutor

from still_rl.bridge import shared as bridge

# The executor builds each AgentInstance itself, without arguments: the tokenizer of the episode reaches it
# through this (set per episode, in the episode's own task).
_tokenizer: contextvars.ContextVar[Any] = contextvars.ContextVar("still_openrlhf_tokenizer")


def _tool_stop() -> list[str]:
    stop = os.environ.get("STILL_TOOL_STOP")
    if stop is None:
        raise RuntimeError("STILL_TOOL_STOP is not set: the still-rl tool agent needs a run with tools.enabled")
    return json.loads(stop)


class AgentInstance(AgentInstanceBase):
    def __init__(self, *args, **kwargs):
        self.tokenizer = _tokenizer.get(None)
        self.stop = _tool_stop()
        self.tool_timeout = float(os.environ.get("STILL_TOOL_TIMEOUT_S", "120"))
        self.reward_timeout = float(os.environ.get("STILL_REWARD_TIMEOUT_S", "180"))
        self.fallback = float(os.environ.get("STILL_REWARD_FALLBACK", "0"))
        keys = os.environ.get("STILL_REWARD_KEYS", "")
        self.log_keys = [k for k in keys.split(",") if k]
        self.prompt = ""
        self.label: Any = None
        self.response = ""
        self.calls = 0
        self.cells: list[dict] = []

    async def reset(self, states: dict, **kwargs):
        self.prompt = states["observation"]
        self.label = states["label"]
        return {"observation": self.prompt}

    async def step(self, states: dict, **kwargs):
        action = states["action_text"]
        self.response += action
        stopped_on_call = any(action.endswith(s) for s in self.stop)
        if stopped_on_call:
            reply = await bridge.arequest(
                "still.tool",
                {"text": self.response, "calls": self.calls, "cells": self.cells},
                timeout=self.tool_timeout,
            )
            if reply["code"] is not None:
                self.calls += 1
                if reply["cell"] is not None:
                    self.cells.append(reply["cell"])
                self.response += reply["append"]
                return self._turn(reply["append"])
            # A stop string that closes no python block (or calls used up): generate on.
            return self._turn("")
        # Ended on EOS or out of budget: the episode is over.
        budget = getattr(states["sampling_params"], "max_tokens", None)
        truncated = budget is not None and self._count(action) >= budget
        return await self._final(truncated)

    def _turn(self, feedback: str) -> dict:
        return {
            "rewards": torch.tensor(0.0),
            "scores": torch.tensor(0.0),
            "environment_feedback": feedback,
            "done": False,
            "extra_logs": {},
        }

    async def _final(self, truncated: bool) -> dict:
        payload = {
            "responses": [self.response],
            "ground_truths": [self.label],
            "prompts": [self.prompt],
            "truncated": [truncated],
        }
        if self.tokenizer is not None:
            payload["response_tokens"] = [self._count(self.response)]
        fallback = 0.0
        try:
            reply = await bridge.arequest("score", payload, timeout=self.reward_timeout)
            reward = float(reply["rewards"][0])
            components = {k: float(v[0]) for k, v in reply["components"].items()}
        except Exception as e:  # the service is gone or too slow: the run goes on with the fallback, flagged
            print(f"still-rl agent: reward service failed ({type(e).__name__}: {e}); fallback {self.fallback}")
            reward, components, fallback = self.fallback, {}, 1.0
        extra = {k: components.get(k, 0.0) for k in self.log_keys} if self.log_keys else dict(components)
        extra.update(still_fallback=fallback, tool_calls=float(self.calls), truncated=float(truncated))
        return {
            "rewards": torch.tensor(reward),
            "scores": torch.tensor(components.get("acc", reward)),
            "environment_feedback": "",
            "done": True,
            "extra_logs": extra,
        }

    def _count(self, text: str) -> int:
        if self.tokenizer is None:
            return 0
        return len(self.tokenizer(text=text, add_special_tokens=False)["input_ids"])


class AgentExecutor(MultiTurnAgentExecutor):
    def __init__(self):
        super().__init__(AgentInstance)
        self.stop = _tool_stop()

    async def execute(self, prompt, label, sampling_params, max_length: int, hf_tokenizer, llm_engine, images=None):
        params = deepcopy(sampling_params)
        params.stop = list(getattr(params, "stop", None) or []) + self.stop
        # The dialect's parser reads the stop string at the end of the text.
        params.include_stop_str_in_output = True
        _tokenizer.set(hf_tokenizer)
        return await super().execute(prompt, label, params, max_length, hf_tokenizer, llm_engine, images)
