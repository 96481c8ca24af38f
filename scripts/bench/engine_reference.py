"""Reference for `npm run bench:engine`: Hugging Face `model.generate` on the same model, prompts and budget.

    python scripts/bench/engine_reference.py MODEL_DIR PROMPTS_JSON SAMPLES MAX_NEW_TOKENS THREADS REPEATS

Prints one JSON line: {"seconds": [...], "tokens": N} (tokens generated per run, EOS included).
"""

import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402


def main() -> None:
    model_dir, prompts_json, samples, max_new, threads, repeats = sys.argv[1:7]
    torch.set_num_threads(int(threads))
    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    batch = tok(json.loads(prompts_json), return_tensors="pt", padding=True, add_special_tokens=False)
    seconds, tokens = [], 0
    for r in range(int(repeats) + 1):
        torch.manual_seed(r)
        start = time.perf_counter()
        with torch.no_grad():
            out = model.generate(
                **batch,
                do_sample=True,
                temperature=1.0,
                top_p=1.0,
                top_k=0,
                max_new_tokens=int(max_new),
                num_return_sequences=int(samples),
                pad_token_id=tok.pad_token_id,
                eos_token_id=tok.eos_token_id,
            )
        elapsed = time.perf_counter() - start
        new = out[:, batch["input_ids"].shape[1] :]
        # Tokens up to and including the first EOS of each row, as the engine counts them.
        ended = (new == tok.eos_token_id).int().cumsum(-1)
        count = int(((ended == 0) | ((ended == 1) & (new == tok.eos_token_id))).sum())
        if r > 0:  # the first run warms up
            seconds.append(elapsed)
            tokens = count
    print(json.dumps({"seconds": seconds, "tokens": tokens}))


if __name__ == "__main__":
    main()
