"""A tiny Qwen2 model with a byte-level tokenizer, built offline for the demo and the tests.

The result is an ordinary Hugging Face directory (config, safetensors weights, tokenizer files, chat template),
so the engine loads it with `AutoModelForCausalLM.from_pretrained` exactly like a downloaded model. The weights
are random: a seed gives the same model every time.

    python -m still_rl.engines.hf.tiny --out DIR [--layers 2 --hidden 128 --heads 4 --kv-heads 2 --seed 0]
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# Byte-level: every byte is one token, so any text (not just ASCII) round-trips, and a character is never split
# into pieces the model cannot produce. Special tokens follow Qwen's names so Qwen-style chat prompts work.
ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
PAD = "<|pad|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END, PAD]

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass(frozen=True)
class TinyConfig:
    layers: int = 2
    hidden: int = 128
    heads: int = 4
    kv_heads: int = 2
    intermediate: int = 0  # 0: 4 * hidden
    max_positions: int = 4096
    seed: int = 0


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {symbol: i for i, symbol in enumerate(alphabet)}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token=ENDOFTEXT,
        pad_token=PAD,
        additional_special_tokens=[IM_START, IM_END],
        clean_up_tokenization_spaces=False,
        model_max_length=1 << 20,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_model(cfg: TinyConfig, tokenizer):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    if cfg.hidden % cfg.heads != 0 or cfg.heads % cfg.kv_heads != 0:
        raise ValueError(f"hidden ({cfg.hidden}) must divide by heads ({cfg.heads}), heads by kv_heads ({cfg.kv_heads})")
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden,
        intermediate_size=cfg.intermediate or 4 * cfg.hidden,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.kv_heads,
        max_position_embeddings=cfg.max_positions,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        dtype="float32",
    )
    torch.manual_seed(cfg.seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def build_tiny(out: str | Path, cfg: TinyConfig = TinyConfig()) -> Path:
    """Writes the model and tokenizer to `out` and returns it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    model = build_model(cfg, tokenizer)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m still_rl.engines.hf.tiny", description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory to write the model into")
    parser.add_argument("--layers", type=int, default=TinyConfig.layers)
    parser.add_argument("--hidden", type=int, default=TinyConfig.hidden)
    parser.add_argument("--heads", type=int, default=TinyConfig.heads)
    parser.add_argument("--kv-heads", type=int, default=TinyConfig.kv_heads)
    parser.add_argument("--intermediate", type=int, default=TinyConfig.intermediate, help="0: 4 x hidden")
    parser.add_argument("--max-positions", type=int, default=TinyConfig.max_positions)
    parser.add_argument("--seed", type=int, default=TinyConfig.seed)
    args = parser.parse_args(argv)
    cfg = TinyConfig(
        layers=args.layers,
        hidden=args.hidden,
        heads=args.heads,
        kv_heads=args.kv_heads,
        intermediate=args.intermediate,
        max_positions=args.max_positions,
        seed=args.seed,
    )
    print(build_tiny(args.out, cfg))


if __name__ == "__main__":
    main()
