"""Batched sampling with a KV cache: inputs × n samples, temperature / top-k / top-p, stop strings, log-probs.

Our own loop rather than `model.generate`: stop strings must end a row as soon as they appear in the new text (and
be reported), log-probs must be those of the sampled tokens, one seed must fix the whole call, and finished rows
must leave the batch so a long straggler does not pay for the rows that are done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import DynamicCache

from .options import SamplingParams


@dataclass
class Completion:
    input: int
    sample: int
    token_ids: np.ndarray  # int32
    text: str
    finish_reason: str  # "stop" | "length"
    stop_string: str | None
    logprobs: np.ndarray | None  # float32


def left_pad(rows: Sequence[np.ndarray], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        if len(r):
            ids[i, width - len(r) :] = torch.from_numpy(np.asarray(r, dtype=np.int64))
            mask[i, width - len(r) :] = 1
    return ids.to(device), mask.to(device)


def positions(mask: torch.Tensor) -> torch.Tensor:
    return (mask.cumsum(-1) - 1).clamp(min=0)


def _sample(logits: torch.Tensor, p: SamplingParams, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns the sampled tokens and their log-probs under softmax(logits / T), before top-k/top-p truncation."""
    logits = logits.float()
    if p.temperature <= 0:
        tokens = logits.argmax(-1)
        return tokens, torch.log_softmax(logits, -1).gather(-1, tokens[:, None])[:, 0]
    scaled = logits / p.temperature
    logprobs = torch.log_softmax(scaled, -1)
    filtered = scaled
    if 0 < p.top_k < filtered.shape[-1]:
        kth = torch.topk(filtered, p.top_k, dim=-1).values[:, -1:]
        filtered = filtered.masked_fill(filtered < kth, float("-inf"))
    if p.top_p < 1:
        sorted_logits, order = torch.sort(filtered, dim=-1, descending=True)
        sorted_probs = torch.softmax(sorted_logits, -1)
        # Drop a token when the tokens ranked above it already cover top_p; the first token always stays.
        drop = (sorted_probs.cumsum(-1) - sorted_probs) >= p.top_p
        filtered = filtered.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
    probs = torch.softmax(filtered, -1)
    tokens = torch.multinomial(probs, 1, generator=gen)[:, 0]
    return tokens, logprobs.gather(-1, tokens[:, None])[:, 0]


def _first_stop(text: str, stops: Sequence[str]) -> tuple[int, str] | None:
    """The stop string whose first occurrence ends earliest in `text` (where generation would have stopped)."""
    best: tuple[int, str] | None = None
    for s in stops:
        at = text.find(s)
        if at >= 0 and (best is None or at + len(s) < best[0]):
            best = (at + len(s), s)
    return best


@torch.no_grad()
def generate(
    model: torch.nn.Module,
    inputs: Sequence[np.ndarray],
    params: SamplingParams,
    *,
    eos_ids: set[int],
    pad_id: int,
    decode: Callable[[list[list[int]]], list[str]],
    check: Callable[[], None] | None = None,
) -> list[Completion]:
    params.validate()
    if not inputs:
        return []
    if any(len(x) == 0 for x in inputs):
        raise ValueError("every input needs at least one token")
    device = next(model.parameters()).device
    n, total = params.n, len(inputs) * params.n
    tokens: list[list[int]] = [[] for _ in range(total)]
    logps: list[list[float]] = [[] for _ in range(total)]
    finish: list[str | None] = [None] * total
    # Any token of the longest stop string adds at least one byte, so the last `window` tokens always contain an
    # occurrence that ends at the newest token; a little slack covers decoders that merge across token edges.
    window = max((len(s.encode()) for s in params.stop), default=0) + 4

    if params.max_new_tokens > 0:
        gen = torch.Generator(device=device).manual_seed(params.seed)
        ids, mask = left_pad(inputs, pad_id, device)
        cache = DynamicCache(config=model.config)
        # Prefill each distinct input once, then fan the cache out to its n samples.
        out = model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions(mask),
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        logits = out.logits[:, -1]
        next_pos = positions(mask)[:, -1] + 1
        if n > 1:
            cache.batch_repeat_interleave(n)
            logits = logits.repeat_interleave(n, 0)
            mask = mask.repeat_interleave(n, 0)
            next_pos = next_pos.repeat_interleave(n, 0)
        rows = torch.arange(total, device=device)
        for step in range(params.max_new_tokens):
            if check is not None:
                check()
            tok, lp = _sample(logits, params, gen)
            row_list, tok_list = rows.tolist(), tok.tolist()
            lp_list = lp.tolist() if params.return_logprobs else None
            done: list[bool] = []
            for j, (r, t) in enumerate(zip(row_list, tok_list, strict=True)):
                tokens[r].append(t)
                if lp_list is not None:
                    logps[r].append(lp_list[j])
                if t in eos_ids:
                    finish[r] = "stop"
                elif step + 1 == params.max_new_tokens:
                    finish[r] = "length"
                done.append(finish[r] is not None)
            if params.stop:
                open_rows = [j for j, d in enumerate(done) if not d]
                tails = decode([tokens[row_list[j]][-window:] for j in open_rows]) if open_rows else []
                for j, tail in zip(open_rows, tails, strict=True):
                    if any(s in tail for s in params.stop):
                        finish[row_list[j]] = "stop"
                        done[j] = True
            if all(done):
                break
            if any(done):
                keep = torch.tensor([j for j, d in enumerate(done) if not d], device=device)
                cache.batch_select_indices(keep)
                rows, tok, mask, next_pos = rows[keep], tok[keep], mask[keep], next_pos[keep]
            mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
            logits = model(
                input_ids=tok[:, None],
                attention_mask=mask,
                position_ids=next_pos[:, None],
                past_key_values=cache,
                use_cache=True,
            ).logits[:, -1]
            next_pos = next_pos + 1

    texts = decode([t[:-1] if t and t[-1] in eos_ids else t for t in tokens])
    completions = []
    for r in range(total):
        text, stop_string, reason = texts[r], None, finish[r] or "length"
        hit = _first_stop(text, params.stop) if params.stop else None
        if hit is not None:
            # The text ends right after the stop string even when its last token carried more characters.
            end, stop_string = hit
            text, reason = text[:end], "stop"
        completions.append(
            Completion(
                input=r // n,
                sample=r % n,
                token_ids=np.asarray(tokens[r], dtype=np.int32),
                text=text,
                finish_reason=reason,
                stop_string=stop_string,
                logprobs=np.asarray(logps[r], dtype=np.float32) if params.return_logprobs else None,
            )
        )
    return completions
