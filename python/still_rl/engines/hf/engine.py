"""The built-in Hugging Face engine: a policy, its reference and an AdamW optimizer, one batch at a time.

Plain PyTorch + transformers, usable directly from Python (tests, notebooks) and served over the bridge by
`python -m still_rl.engines.hf`. Arrays in and out are numpy; the bridge moves them as typed binary.

Dropout is off in training too, as in RL fine-tuning practice: the log-probs the loss sees must be those the
sampler saw. (Gradient checkpointing needs train mode in transformers, so with it every dropout rate is zeroed.)
"""

from __future__ import annotations

import copy
import json
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from . import losses  # noqa: E402
from .options import ADAMW_WEIGHT_DECAY, SftOptions, UpdateOptions  # noqa: E402
from .sampling import Completion, SamplingParams, generate, positions  # noqa: E402

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
DTYPE_CHOICES = ("auto", *DTYPES)
# veRL's actor optimizer defaults.
ADAMW_BETAS = (0.9, 0.999)


@dataclass(frozen=True)
class EngineOptions:
    model: str
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    dtype: str = "auto"  # auto: float32 on CPU, bfloat16 on CUDA (weights and optimizer state in that dtype)
    tokenizer: str | None = None  # default: the model directory
    trust_remote_code: bool = False
    gradient_checkpointing: bool = False
    threads: int = 0  # CPU threads for torch; 0: half the cores (OpenMP spin-waits collapse when cores are shared)
    micro_batch_size: int = 0  # rows per forward pass in logprobs/update/sft; 0: a whole mini-batch at once


@dataclass(frozen=True)
class PolicySample:
    prompt_ids: np.ndarray
    response_ids: np.ndarray
    loss_mask: np.ndarray
    advantages: np.ndarray
    old_logprobs: np.ndarray
    ref_logprobs: np.ndarray | None


def _rng_state() -> dict:
    """torch, numpy and Python RNG states as tensors and plain values (loadable with weights_only=True)."""
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "numpy_keys": torch.from_numpy(keys.astype(np.int64)),
        "numpy_pos": int(pos),
        "numpy_has_gauss": int(has_gauss),
        "numpy_gauss": float(gauss),
        "python_version": int(version),
        "python_internal": torch.tensor(internal, dtype=torch.int64),
        "python_gauss_next": gauss_next,
    }


def _set_rng_state(rng: dict) -> None:
    torch.set_rng_state(rng["torch"])
    keys = rng["numpy_keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, rng["numpy_pos"], rng["numpy_has_gauss"], rng["numpy_gauss"]))
    internal = tuple(int(x) for x in rng["python_internal"].tolist())
    random.setstate((rng["python_version"], internal, rng["python_gauss_next"]))


def _resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class HfEngine:
    def __init__(self, options: EngineOptions):
        self.options = options
        if options.dtype not in DTYPE_CHOICES:
            raise ValueError(f"unknown dtype {options.dtype!r}; expected one of {list(DTYPE_CHOICES)}")
        self.device = _resolve_device(options.device)
        dtype = options.dtype if options.dtype != "auto" else ("bfloat16" if self.device.type == "cuda" else "float32")
        self.dtype_name = dtype
        self.dtype = DTYPES[dtype]
        torch.set_num_threads(options.threads or max(1, (os.cpu_count() or 1) // 2))
        if self.device.type == "cpu":
            # Bit-identical resumes on CPU (save -> load -> continue) rely on deterministic kernels.
            torch.use_deterministic_algorithms(True)
        self.tokenizer = AutoTokenizer.from_pretrained(
            options.tokenizer or options.model, trust_remote_code=options.trust_remote_code
        )
        self.policy = self._load_model(options.model)
        self.reference = self._frozen_copy(self.policy)
        self.optimizer = self._make_optimizer()
        self.eos_ids = self._eos_ids()
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else min(self.eos_ids)

    # --- setup -------------------------------------------------------------------------------------------------

    def _load_model(self, path: str | Path) -> torch.nn.Module:
        model = AutoModelForCausalLM.from_pretrained(
            path, dtype=self.dtype, trust_remote_code=self.options.trust_remote_code
        ).to(self.device)
        if self.options.gradient_checkpointing:
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
            for module in model.modules():
                if isinstance(module, torch.nn.Dropout):
                    module.p = 0.0
                if isinstance(getattr(module, "attention_dropout", None), float):
                    module.attention_dropout = 0.0
        model.eval()
        return model

    def _train_mode(self, on: bool) -> None:
        # Only gradient checkpointing needs train mode (transformers checkpoints only while training).
        if self.options.gradient_checkpointing:
            self.policy.train(on)

    @staticmethod
    def _frozen_copy(model: torch.nn.Module) -> torch.nn.Module:
        ref = copy.deepcopy(model)
        ref.eval()
        ref.requires_grad_(False)
        return ref

    def _make_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(
            self.policy.parameters(), lr=0.0, betas=ADAMW_BETAS, weight_decay=ADAMW_WEIGHT_DECAY
        )

    def _eos_ids(self) -> set[int]:
        ids = set()
        for source in (self.tokenizer.eos_token_id, getattr(self.policy.generation_config, "eos_token_id", None)):
            if isinstance(source, int):
                ids.add(source)
            elif isinstance(source, list):
                ids.update(source)
        if not ids:
            raise ValueError(f"{self.options.model}: neither the tokenizer nor the generation config names an EOS token")
        return ids

    def info(self) -> dict:
        return {
            "engine": "hf",
            "model": self.options.model,
            "device": str(self.device),
            "dtype": self.dtype_name,
            "vocabSize": int(self.policy.get_input_embeddings().weight.shape[0]),
            "eosTokenId": int(self.tokenizer.eos_token_id if self.tokenizer.eos_token_id is not None else min(self.eos_ids)),
            "padTokenId": int(self.pad_id),
        }

    # --- text --------------------------------------------------------------------------------------------------

    def tokenize(self, texts: Sequence[str]) -> list[np.ndarray]:
        # No special tokens added: chat templates already carry BOS where a model wants one, and continuations
        # (tool outputs) are appended to a sequence, not started.
        encoded = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [np.asarray(ids, dtype=np.int32) for ids in encoded]

    def detokenize(self, ids: Sequence[Sequence[int]]) -> list[str]:
        return self._decode([list(map(int, x)) for x in ids])

    def _decode(self, ids: list[list[int]]) -> list[str]:
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        if backend is not None:
            return backend.decode_batch(ids, skip_special_tokens=False)
        return self.tokenizer.batch_decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    # --- generation --------------------------------------------------------------------------------------------

    def generate(
        self, inputs: Sequence[np.ndarray], params: SamplingParams, check: Callable[[], None] | None = None
    ) -> list[Completion]:
        """`check` runs before every decoding step; it may raise to abandon the call (cancellation)."""
        self._check_ids(inputs, "inputs")
        return generate(
            self.policy, inputs, params, eos_ids=self.eos_ids, pad_id=self.pad_id, decode=self._decode, check=check
        )

    # --- scoring -----------------------------------------------------------------------------------------------

    def _batch(self, prompts: Sequence[np.ndarray], responses: Sequence[np.ndarray]):
        """Prompts left-padded to a common width P, responses right-padded to R: all responses start at P."""
        p_width = max(len(p) for p in prompts)
        r_width = max(max(len(r) for r in responses), 1)
        rows = len(prompts)
        ids = torch.full((rows, p_width + r_width), self.pad_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        resp_mask = torch.zeros((rows, r_width), dtype=torch.float32)
        for i, (p, r) in enumerate(zip(prompts, responses, strict=True)):
            ids[i, p_width - len(p) : p_width] = torch.from_numpy(np.asarray(p, dtype=np.int64))
            ids[i, p_width : p_width + len(r)] = torch.from_numpy(np.asarray(r, dtype=np.int64))
            mask[i, p_width - len(p) : p_width + len(r)] = 1
            resp_mask[i, : len(r)] = 1
        return ids.to(self.device), mask.to(self.device), resp_mask.to(self.device), r_width

    def _forward(self, model, prompts, responses, temperature: float, want_entropy: bool, entropy_grad: bool = False):
        """Log-probs (and entropies) of the response tokens, shape (rows, R), plus the response mask. The entropy
        needs a full-vocabulary softmax: it joins the autograd graph only when it is part of the loss."""
        ids, mask, resp_mask, r_width = self._batch(prompts, responses)
        logits = model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions(mask),
            use_cache=False,
            logits_to_keep=r_width + 1,
        ).logits[:, :-1].float()
        if temperature != 1.0:
            logits = logits / temperature
        targets = ids[:, -r_width:]
        logp = logits.gather(-1, targets[..., None])[..., 0] - torch.logsumexp(logits, -1)
        entropy = None
        if want_entropy:
            with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
                entropy = losses.entropy_from_logits(logits)
        return logp, entropy, resp_mask

    def _chunks(self, indices: Sequence[int]) -> list[list[int]]:
        size = self.options.micro_batch_size or len(indices)
        return [list(indices[i : i + size]) for i in range(0, len(indices), size)]

    @torch.no_grad()
    def logprobs(
        self, prompts: Sequence[np.ndarray], responses: Sequence[np.ndarray], model: str, temperature: float = 1.0
    ) -> list[np.ndarray]:
        if model not in ("policy", "reference"):
            raise ValueError(f"model must be 'policy' or 'reference', got {model!r}")
        self._check_pairs(prompts, responses)
        net = self.policy if model == "policy" else self.reference
        out: list[np.ndarray] = []
        for chunk in self._chunks(range(len(prompts))):
            logp, _, _ = self._forward(net, [prompts[i] for i in chunk], [responses[i] for i in chunk], temperature, False)
            out.extend(logp[j, : len(responses[i])].cpu().numpy().astype(np.float32) for j, i in enumerate(chunk))
        return out

    # --- training ----------------------------------------------------------------------------------------------

    def _mini_batches(self, count: int, size: int, epochs: int, seed: int) -> list[list[int]]:
        size = size if size > 0 else count
        rng = np.random.default_rng(seed)
        batches = []
        for _ in range(epochs):
            # One mini-batch and one epoch keep the caller's order; otherwise each epoch is a fresh shuffle.
            order = np.arange(count) if (epochs == 1 and size >= count) else rng.permutation(count)
            batches.extend(order[i : i + size].tolist() for i in range(0, count, size))
        return batches

    def _step(self, lr: float, max_grad_norm: float, weight_decay: float) -> float:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
            group["weight_decay"] = weight_decay
        # maxGradNorm <= 0 measures the norm without clipping (clipping to 0 would erase the gradient).
        limit = max_grad_norm if max_grad_norm > 0 else float("inf")
        norm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), limit)
        grad_norm = float(norm)
        # A non-finite gradient would poison the weights and the Adam moments: skip the step (as veRL does).
        if np.isfinite(grad_norm):
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return grad_norm

    def update(self, batch: Sequence[PolicySample], opts: UpdateOptions) -> dict:
        if not batch:
            raise ValueError("update needs at least one sample")
        if opts.loss_aggregation not in losses.LOSS_AGGREGATIONS:
            raise ValueError(f"unknown loss aggregation {opts.loss_aggregation!r}; expected one of {list(losses.LOSS_AGGREGATIONS)}")
        if opts.kl_estimator not in losses.KL_ESTIMATORS:
            raise ValueError(f"unknown KL estimator {opts.kl_estimator!r}; expected one of {sorted(losses.KL_ESTIMATORS)}")
        if opts.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {opts.epochs}")
        if opts.lr < 0 or opts.clip_ratio_low < 0 or opts.clip_ratio_high < 0 or opts.temperature <= 0:
            raise ValueError("lr and clip ratios must be >= 0 and temperature > 0")
        use_kl = opts.kl_coef != 0
        for i, s in enumerate(batch):
            n = len(s.response_ids)
            fields = {"lossMask": s.loss_mask, "advantages": s.advantages, "oldLogprobs": s.old_logprobs}
            if use_kl:
                if s.ref_logprobs is None:
                    raise ValueError(f"batch[{i}]: klCoef is {opts.kl_coef} but refLogprobs is missing")
                fields["refLogprobs"] = s.ref_logprobs
            for name, arr in fields.items():
                if len(arr) != n:
                    raise ValueError(f"batch[{i}].{name} has {len(arr)} entries, responseIds has {n}")
            if np.any(np.asarray(s.loss_mask) > 1):
                raise ValueError(f"batch[{i}].lossMask must hold only 0 and 1")
        self._check_pairs([s.prompt_ids for s in batch], [s.response_ids for s in batch])

        self._train_mode(True)
        try:
            return self._update(batch, opts, use_kl)
        finally:
            self._train_mode(False)

    def _update(self, batch: Sequence[PolicySample], opts: UpdateOptions, use_kl: bool) -> dict:
        totals = {"loss": 0.0, "pgLoss": 0.0, "kl": 0.0, "entropy": 0.0, "gradNorm": 0.0, "clipFraction": 0.0}
        mbs = self._mini_batches(len(batch), opts.mini_batch_size, opts.epochs, opts.seed)
        for mb in mbs:
            r_width = max(max(len(batch[i].response_ids) for i in mb), 1)

            def padded(get, idx, width=r_width):
                out = torch.zeros((len(idx), width), dtype=torch.float32)
                for j, i in enumerate(idx):
                    arr = get(batch[i])
                    out[j, : len(arr)] = torch.from_numpy(np.asarray(arr, dtype=np.float32))
                return out.to(self.device)

            full_mask = padded(lambda s: s.loss_mask, mb)
            denom = losses.aggregation_denominator(full_mask, opts.loss_aggregation)
            tokens = max(float(full_mask.sum()), 1.0)
            stats = {"loss": 0.0, "pgLoss": 0.0, "kl": 0.0, "entropy": 0.0, "clipFraction": 0.0}
            for chunk in self._chunks(mb):
                logp, entropy, _ = self._forward(
                    self.policy,
                    [batch[i].prompt_ids for i in chunk],
                    [batch[i].response_ids for i in chunk],
                    opts.temperature,
                    True,
                    entropy_grad=opts.entropy_coef != 0,
                )
                width = logp.shape[1]
                mask = padded(lambda s: s.loss_mask, chunk, width)
                adv = padded(lambda s: s.advantages, chunk, width)
                old = padded(lambda s: s.old_logprobs, chunk, width)
                pg, clipped = losses.clipped_policy_loss(logp, old, adv, opts.clip_ratio_low, opts.clip_ratio_high)
                pg_loss = losses.agg_loss(pg, mask, opts.loss_aggregation, denom)
                loss = pg_loss
                if opts.entropy_coef != 0:
                    loss = loss - opts.entropy_coef * losses.agg_loss(entropy, mask, opts.loss_aggregation, denom)
                if use_kl:
                    ref = padded(lambda s: s.ref_logprobs, chunk, width)
                    kl = losses.kl_penalty(logp, ref, opts.kl_estimator)
                    loss = loss + opts.kl_coef * losses.agg_loss(kl, mask, opts.loss_aggregation, denom)
                    stats["kl"] += float((kl.detach() * mask).sum()) / tokens
                loss.backward()
                stats["loss"] += float(loss.detach())
                stats["pgLoss"] += float(pg_loss.detach())
                stats["entropy"] += float((entropy.detach() * mask).sum()) / tokens
                stats["clipFraction"] += float((clipped.float() * mask).sum()) / tokens
            totals["gradNorm"] += self._step(opts.lr, opts.max_grad_norm, opts.weight_decay)
            for k, v in stats.items():
                totals[k] += v
        result = {k: v / len(mbs) for k, v in totals.items()}
        result["steps"] = len(mbs)
        return result

    def sft_step(self, prompts: Sequence[np.ndarray], responses: Sequence[np.ndarray], opts: SftOptions) -> dict:
        if not prompts:
            raise ValueError("sftStep needs at least one sample")
        self._check_pairs(prompts, responses)
        self._train_mode(True)
        try:
            return self._sft_step(prompts, responses, opts)
        finally:
            self._train_mode(False)

    def _sft_step(self, prompts: Sequence[np.ndarray], responses: Sequence[np.ndarray], opts: SftOptions) -> dict:
        size = opts.mini_batch_size if opts.mini_batch_size > 0 else len(prompts)
        # In the caller's order: SFT data is shuffled by whoever feeds it.
        mbs = [list(range(i, min(i + size, len(prompts)))) for i in range(0, len(prompts), size)]
        loss_total, norm_total, token_total = 0.0, 0.0, 0
        for mb in mbs:
            tokens = sum(len(responses[i]) for i in mb)
            mb_loss = 0.0
            for chunk in self._chunks(mb):
                logp, _, mask = self._forward(
                    self.policy, [prompts[i] for i in chunk], [responses[i] for i in chunk], 1.0, False
                )
                loss = -(logp * mask).sum() / max(tokens, 1)
                loss.backward()
                mb_loss += float(loss.detach())
            norm_total += self._step(opts.lr, opts.max_grad_norm, opts.weight_decay)
            loss_total += mb_loss
            token_total += tokens
        return {"loss": loss_total / len(mbs), "gradNorm": norm_total / len(mbs), "tokens": token_total}

    def reset_reference(self) -> None:
        self.reference.load_state_dict(self.policy.state_dict())

    # --- checkpoints -------------------------------------------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        # The policy is a complete Hugging Face model directory, usable for evaluation as is.
        self.policy.save_pretrained(out / "policy")
        self.tokenizer.save_pretrained(out / "policy")
        self.reference.save_pretrained(out / "reference")
        torch.save(self.optimizer.state_dict(), out / "optimizer.pt")
        rng = _rng_state()
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        torch.save(rng, out / "rng.pt")
        (out / "engine.json").write_text(json.dumps({"format": 1, "info": self.info()}, indent=2) + "\n")

    def load(self, directory: str | Path) -> None:
        src = Path(directory)
        meta_path = src / "engine.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"{src} is not an engine checkpoint (no engine.json)")
        self.policy = self._load_model(src / "policy")
        self.reference = self._frozen_copy(self._load_model(src / "reference"))
        self.optimizer = self._make_optimizer()
        self.optimizer.load_state_dict(torch.load(src / "optimizer.pt", map_location=self.device, weights_only=True))
        # Tensors and plain values only: a checkpoint handed to --resume cannot run code when loaded.
        rng = torch.load(src / "rng.pt", weights_only=True)
        _set_rng_state(rng)
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])

    # --- validation --------------------------------------------------------------------------------------------

    def _check_ids(self, rows: Sequence[np.ndarray], what: str) -> None:
        vocab = self.policy.get_input_embeddings().weight.shape[0]
        for i, r in enumerate(rows):
            if len(r) and (int(np.min(r)) < 0 or int(np.max(r)) >= vocab):
                raise ValueError(f"{what}[{i}] has a token id outside [0, {vocab})")

    def _check_pairs(self, prompts: Sequence[np.ndarray], responses: Sequence[np.ndarray]) -> None:
        if len(prompts) != len(responses):
            raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
        for i, p in enumerate(prompts):
            if len(p) == 0:
                raise ValueError(f"sequence {i}: the prompt is empty (the first response token needs context)")
        self._check_ids(prompts, "prompts")
        self._check_ids(responses, "responses")
