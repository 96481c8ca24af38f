"""Reads a Parquet file with veRL's own RLHFDataset and writes each item it yields as one JSON line to OUT
(veRL prints its own progress on stdout).

    .venv-verl/bin/python test/data/verl_rlhf_dataset.py TOKENIZER_DIR FILE.parquet CACHE_DIR OUT.jsonl
"""

import json
import sys

from omegaconf import OmegaConf
from transformers import AutoTokenizer
from verl.utils.dataset.rl_dataset import RLHFDataset

tokenizer_dir, data_file, cache_dir, out = sys.argv[1:5]
tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
config = OmegaConf.create(
    {
        "prompt_key": "prompt",
        "max_prompt_length": 512,
        "filter_overlong_prompts": True,
        "filter_overlong_prompts_workers": 1,
        "cache_dir": cache_dir,
    }
)
dataset = RLHFDataset(data_files=[data_file], tokenizer=tokenizer, config=config)
with open(out, "w") as f:
    for i in range(len(dataset)):
        item = dataset[i]
        line = json.dumps(
            {
                "raw_prompt": item["raw_prompt"],
                "data_source": item["data_source"],
                "reward_model": item["reward_model"],
                "extra_info": item["extra_info"],
                "index": item["index"],
            }
        )
        f.write(line + "\n")
