"""Unit tests of the HF engine's Python core (loss math, sampler, training ops) on a tiny model.

Plain asserts; run with `python python/tests/test_hf_engine.py` (test/engines/python.test.ts does).
"""

from __future__ import annotations

import math
import sys
import tempfile
import traceback

import numpy as np
import torch

from still_rl.engines.hf import losses
from still_rl.engines.hf.engine import EngineOptions, HfEngine, PolicySample, SftOptions, UpdateOptions
from still_rl.engines.hf.sampling import SamplingParams, _first_stop, _sample
from still_rl.engines.hf.tiny import TinyConfig, build_tiny


def test_kl_estimators():
    lp = torch.tensor([-1.0, -2.0, -0.5, -3.0])
    ref = torch.tensor([-1.5, -1.0, -0.5, -0.1])
    cases = {
        "k1": lp - ref,
        "k2": 0.5 * (lp - ref) ** 2,
        "k3": torch.exp(ref - lp) - (ref - lp) - 1,
    }
    for name, want in cases.items():
        got = losses.kl_penalty(lp, ref, name)
        assert torch.allclose(got, want), (name, got, want)
    k3 = losses.kl_penalty(lp, ref, "k3")
    assert (k3 >= 0).all() and k3[2] == 0
    # low_var_kl is k3 clamped to 10.
    big = losses.kl_penalty(torch.tensor([-30.0]), torch.tensor([0.0]), "low_var_kl")
    assert float(big) == 10.0
    try:
        losses.kl_penalty(lp, ref, "k4")
    except ValueError as e:
        assert "k4" in str(e)
    else:
        raise AssertionError("unknown estimator accepted")


def test_agg_loss():
    values = torch.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0], [9.0, 9.0, 9.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    cases = {
        "token-mean": (1 + 2 + 3 + 4) / 4,
        "seq-mean-token-sum": (6 + 4) / 2,
        "seq-mean-token-mean": (2 + 4) / 2,
    }
    for mode, want in cases.items():
        got = float(losses.agg_loss(values, mask, mode, losses.aggregation_denominator(mask, mode)))
        assert math.isclose(got, want, rel_tol=1e-6), (mode, got, want)
    # Micro-batches with the mini-batch denominator sum to the mini-batch loss.
    for mode in cases:
        d = losses.aggregation_denominator(mask, mode)
        split = losses.agg_loss(values[:1], mask[:1], mode, d) + losses.agg_loss(values[1:], mask[1:], mode, d)
        assert math.isclose(float(split), cases[mode], rel_tol=1e-6)


def test_clipped_policy_loss():
    old = torch.zeros(4)
    lp = torch.log(torch.tensor([1.5, 0.5, 1.1, 5.0]))
    adv = torch.tensor([1.0, 1.0, -1.0, -1.0])
    loss, clipped = losses.clipped_policy_loss(lp, old, adv, 0.2, 0.28)
    # ratio 1.5, A>0: clipped to 1.28; ratio 0.5, A>0: unclipped (min objective); ratio 1.1, A<0: unclipped;
    # ratio 5, A<0: -A*5 = 5 is capped by the dual clip at 3.
    want = torch.tensor([-1.28, -0.5, 1.1, 3.0])
    assert torch.allclose(loss, want, atol=1e-6), loss
    assert clipped.tolist() == [True, False, False, False]


def test_sample_top_k_top_p():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]])).repeat(2000, 1)
    gen = torch.Generator().manual_seed(0)
    tok, lp = _sample(logits, SamplingParams(top_k=2), gen)
    assert set(tok.tolist()) == {0, 1}
    # Log-probs are of the untruncated temperature-1 distribution.
    assert torch.allclose(lp[tok == 1], torch.log(torch.tensor(0.3)))
    tok, _ = _sample(logits, SamplingParams(top_p=0.7), gen)
    assert set(tok.tolist()) == {0, 1}
    tok, _ = _sample(logits, SamplingParams(top_p=0.5), gen)
    assert set(tok.tolist()) == {0}
    tok, _ = _sample(logits, SamplingParams(temperature=0), gen)
    assert set(tok.tolist()) == {0}


def test_first_stop():
    assert _first_stop("abc</answer>def", ["</answer>", "c<"]) == (4, "c<")
    assert _first_stop("no stop here", ["x"]) is None


class EngineTests:
    def __init__(self, model_dir: str):
        self.e = HfEngine(EngineOptions(model=model_dir, threads=1))
        self.prompts = self.e.tokenize(["The answer is", "2+2="])

    def _samples(self, n=4, max_new=12, seed=0):
        cs = self.e.generate(self.prompts, SamplingParams(n=n, max_new_tokens=max_new, seed=seed, return_logprobs=True))
        return cs

    def _batch(self, cs, adv=1.0, mask=None):
        return [
            PolicySample(
                prompt_ids=self.prompts[c.input],
                response_ids=c.token_ids,
                loss_mask=np.ones(len(c.token_ids), np.uint8) if mask is None else mask(c),
                advantages=np.full(len(c.token_ids), adv, np.float32),
                old_logprobs=c.logprobs,
                ref_logprobs=c.logprobs,
            )
            for c in cs
        ]

    def _lp(self, cs, model="policy"):
        return self.e.logprobs([self.prompts[c.input] for c in cs], [c.token_ids for c in cs], model)

    def test_generate_seeded_and_logprobs_match_scoring(self):
        a, b = self._samples(seed=3), self._samples(seed=3)
        assert all(np.array_equal(x.token_ids, y.token_ids) for x, y in zip(a, b, strict=True))
        assert [(c.input, c.sample) for c in a] == [(i, s) for i in range(2) for s in range(4)]
        for c, lp in zip(a, self._lp(a), strict=True):
            assert np.abs(c.logprobs - lp).max() < 1e-4

    def test_update_sign_of_advantage(self):
        cs = self._samples()
        before = sum(float(x.sum()) for x in self._lp(cs))
        self.e.save(self.tmp + "/ck")
        self.e.update(self._batch(cs, adv=1.0), UpdateOptions(lr=1e-2))
        up = sum(float(x.sum()) for x in self._lp(cs))
        self.e.load(self.tmp + "/ck")
        self.e.update(self._batch(cs, adv=-1.0), UpdateOptions(lr=1e-2))
        down = sum(float(x.sum()) for x in self._lp(cs))
        self.e.load(self.tmp + "/ck")
        assert up > before > down, (up, before, down)

    def test_masked_tokens_do_not_matter(self):
        cs = self._samples()
        half = lambda c: (np.arange(len(c.token_ids)) % 2).astype(np.uint8)  # noqa: E731
        self.e.save(self.tmp + "/ck")
        batch = self._batch(cs, mask=half)
        self.e.update(batch, UpdateOptions(lr=1e-2, kl_coef=0.5, kl_estimator="k3"))
        first = self._lp(cs)
        self.e.load(self.tmp + "/ck")
        # Change everything at masked positions: nothing may change in the result.
        poisoned = []
        for s in batch:
            adv, old = s.advantages.copy(), s.old_logprobs.copy()
            adv[s.loss_mask == 0] = 1e6
            old[s.loss_mask == 0] = -50
            poisoned.append(PolicySample(s.prompt_ids, s.response_ids, s.loss_mask, adv, old, old))
        self.e.update(poisoned, UpdateOptions(lr=1e-2, kl_coef=0.5, kl_estimator="k3"))
        second = self._lp(cs)
        self.e.load(self.tmp + "/ck")
        assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))

    def test_save_load_bit_identical(self):
        cs = self._samples()
        opts = UpdateOptions(lr=5e-3, mini_batch_size=3, epochs=2, seed=7, entropy_coef=0.01)
        self.e.update(self._batch(cs), opts)
        self.e.save(self.tmp + "/resume")
        s1 = self.e.update(self._batch(cs), opts)
        g1 = self._samples(seed=11)
        self.e.load(self.tmp + "/resume")
        s2 = self.e.update(self._batch(cs), opts)
        g2 = self._samples(seed=11)
        assert s1 == s2, (s1, s2)
        assert all(np.array_equal(a.logprobs, b.logprobs) for a, b in zip(g1, g2, strict=True))

    def test_reset_reference(self):
        cs = self._samples()
        self.e.update(self._batch(cs), UpdateOptions(lr=1e-2))
        pol, ref = self._lp(cs), self._lp(cs, "reference")
        assert any(not np.array_equal(a, b) for a, b in zip(pol, ref, strict=True))
        self.e.reset_reference()
        ref = self._lp(cs, "reference")
        assert all(np.array_equal(a, b) for a, b in zip(pol, ref, strict=True))

    def test_sft_lowers_loss(self):
        target = self.e.tokenize([" forty-two"])[0]
        prompts, responses = [self.prompts[0]] * 4, [target] * 4
        first = self.e.sft_step(prompts, responses, SftOptions(lr=1e-2))
        for _ in range(4):
            last = self.e.sft_step(prompts, responses, SftOptions(lr=1e-2))
        assert last["loss"] < first["loss"] and first["tokens"] == 4 * len(target)

    def test_weight_decay_is_applied_per_call(self):
        # Every advantage 0: the two runs differ only by the decay (Adam's restored moments move both alike).
        cs = self._samples()
        self.e.save(self.tmp + "/wd")
        norm = lambda: sum(float(p.detach().pow(2).sum()) for p in self.e.policy.parameters())  # noqa: E731
        self.e.update(self._batch(cs, adv=0.0), UpdateOptions(lr=1e-2, weight_decay=0.0))
        undecayed = norm()
        self.e.load(self.tmp + "/wd")
        self.e.update(self._batch(cs, adv=0.0), UpdateOptions(lr=1e-2, weight_decay=0.5))
        decayed = norm()
        self.e.load(self.tmp + "/wd")
        assert decayed < undecayed, (undecayed, decayed)

    def test_gradient_checkpointing_same_update(self):
        cs = self._samples()
        self.e.save(self.tmp + "/gc")
        self.e.update(self._batch(cs), UpdateOptions(lr=1e-2))
        plain = self._lp(cs)
        other = HfEngine(EngineOptions(model=self.tmp + "/gc/policy", threads=1, gradient_checkpointing=True))
        other.update(self._batch(cs), UpdateOptions(lr=1e-2))
        self.e.load(self.tmp + "/gc")
        ckpt = other.logprobs([self.prompts[c.input] for c in cs], [c.token_ids for c in cs], "policy")
        assert other.policy.is_activation_checkpointing
        assert max(float(np.abs(a - b).max()) for a, b in zip(plain, ckpt, strict=True)) < 1e-5

    def run(self) -> list[str]:
        failures = []
        with tempfile.TemporaryDirectory() as tmp:
            self.tmp = tmp
            for name in sorted(n for n in dir(self) if n.startswith("test_")):
                failures += _run(name, getattr(self, name))
        return failures


def _run(name, fn) -> list[str]:
    try:
        fn()
        print(f"ok   {name}")
        return []
    except Exception:
        print(f"FAIL {name}\n{traceback.format_exc()}")
        return [name]


def main() -> int:
    torch.set_num_threads(1)
    failures = []
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            failures += _run(name, fn)
    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny(tmp + "/tiny", TinyConfig(layers=2, hidden=64, heads=4, kv_heads=2, seed=1))
        failures += EngineTests(str(model)).run()
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
