"""The engine's bridge operations: wire payloads (camelCase, as `src/engines/engine.ts` names them) to engine calls.

Each operation is a function of a payload dict returning a reply dict; token ids, masks and log-probs travel as
numpy arrays (typed binary on the wire). `__main__` registers them with the bridge peer.

    info             {}                                        -> EngineInfo
    tokenize         {texts: str[]}                            -> {ids: int32[][]}
    detokenize       {ids: int32[][]}                          -> {texts: str[]}
    generate         {inputs: int32[][], params: SamplingParams} -> {completions: Completion[]}
    logprobs         {sequences: {promptIds, responseIds}[], model: "policy"|"reference", temperature}
                                                               -> {logprobs: float32[][]}
    update           {batch: PolicySample[], options: UpdateOptions} -> UpdateStats
    sft_step         {batch: {promptIds, responseIds}[], options: SftOptions} -> SftStats
    save, load       {dir: str}                                -> {}
    reset_reference  {}                                        -> {}
Shutdown is the bridge's `bye`. Field names and meanings: src/engines/engine.ts and src/engines/options.ts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...bridge.peer import current_call
from .engine import HfEngine, PolicySample
from .options import SamplingParams, SftOptions, UpdateOptions, from_wire

Payload = dict[str, Any]


def _field(obj: Payload, key: str, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ValueError(f"{where}: missing field {key!r}")
    return obj[key]


def _array(value: Any, dtype, where: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise ValueError(f"{where}: expected a 1-D array, got shape {arr.shape}")
    if arr.size and not np.can_cast(arr.dtype, dtype, casting="same_kind"):
        raise ValueError(f"{where}: expected {np.dtype(dtype).name} values, got {arr.dtype.name}")
    return arr.astype(dtype, copy=False)


def _ids_list(value: Any, where: str) -> list[np.ndarray]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of token-id arrays")
    return [_array(v, np.int32, f"{where}[{i}]") for i, v in enumerate(value)]


def _sequences(value: Any, where: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list")
    prompts = [_array(_field(s, "promptIds", f"{where}[{i}]"), np.int32, f"{where}[{i}].promptIds") for i, s in enumerate(value)]
    responses = [
        _array(_field(s, "responseIds", f"{where}[{i}]"), np.int32, f"{where}[{i}].responseIds") for i, s in enumerate(value)
    ]
    return prompts, responses


def operations(engine: HfEngine) -> dict[str, Callable[[Payload], Payload]]:
    def info(_: Payload) -> Payload:
        return engine.info()

    def tokenize(p: Payload) -> Payload:
        texts = _field(p, "texts", "tokenize")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ValueError("tokenize: texts must be a list of strings")
        return {"ids": engine.tokenize(texts)}

    def detokenize(p: Payload) -> Payload:
        return {"texts": engine.detokenize(_ids_list(_field(p, "ids", "detokenize"), "detokenize.ids"))}

    def generate(p: Payload) -> Payload:
        inputs = _ids_list(_field(p, "inputs", "generate"), "generate.inputs")
        params = from_wire(SamplingParams, _field(p, "params", "generate"), "generate.params")
        # A cancelled or expired request stops sampling at the next token instead of running to the end.
        call = current_call()
        completions = engine.generate(inputs, params, check=call.raise_if_cancelled if call else None)
        return {
            "completions": [
                {
                    "input": c.input,
                    "sample": c.sample,
                    "tokenIds": c.token_ids,
                    "text": c.text,
                    "finishReason": c.finish_reason,
                    "stopString": c.stop_string,
                    "logprobs": c.logprobs,
                }
                for c in completions
            ]
        }

    def logprobs(p: Payload) -> Payload:
        prompts, responses = _sequences(_field(p, "sequences", "logprobs"), "logprobs.sequences")
        model = _field(p, "model", "logprobs")
        return {"logprobs": engine.logprobs(prompts, responses, model, float(p.get("temperature", 1.0)))}

    def update(p: Payload) -> Payload:
        raw = _field(p, "batch", "update")
        prompts, responses = _sequences(raw, "update.batch")
        batch = []
        for i, s in enumerate(raw):
            where = f"update.batch[{i}]"
            ref = s.get("refLogprobs")
            batch.append(
                PolicySample(
                    prompt_ids=prompts[i],
                    response_ids=responses[i],
                    loss_mask=_array(_field(s, "lossMask", where), np.uint8, f"{where}.lossMask"),
                    advantages=_array(_field(s, "advantages", where), np.float32, f"{where}.advantages"),
                    old_logprobs=_array(_field(s, "oldLogprobs", where), np.float32, f"{where}.oldLogprobs"),
                    ref_logprobs=None if ref is None else _array(ref, np.float32, f"{where}.refLogprobs"),
                )
            )
        opts = from_wire(UpdateOptions, _field(p, "options", "update"), "update.options")
        return engine.update(batch, opts)

    def sft_step(p: Payload) -> Payload:
        prompts, responses = _sequences(_field(p, "batch", "sft_step"), "sft_step.batch")
        opts = from_wire(SftOptions, _field(p, "options", "sft_step"), "sft_step.options")
        return engine.sft_step(prompts, responses, opts)

    def save(p: Payload) -> Payload:
        engine.save(str(_field(p, "dir", "save")))
        return {}

    def load(p: Payload) -> Payload:
        engine.load(str(_field(p, "dir", "load")))
        return {}

    def reset_reference(_: Payload) -> Payload:
        engine.reset_reference()
        return {}

    return {
        "info": info,
        "tokenize": tokenize,
        "detokenize": detokenize,
        "generate": generate,
        "logprobs": logprobs,
        "update": update,
        "sft_step": sft_step,
        "save": save,
        "load": load,
        "reset_reference": reset_reference,
    }
