"""Forwards a still-rl run's metrics to Weights & Biases.

Reads one JSON object per stdin line, ``{"stage": "sft"|"rl", "step": int, "metrics": {name: number}}``, and
logs it under the same names as ``metrics.jsonl``. SFT and RL count steps separately, and wandb's own step must
only grow, so each stage's step is logged as a metric (``sft/step``, ``rl/step``) that its charts use as x axis.
End of input finishes the run. The mode (online/offline) comes from ``WANDB_MODE``,
which the TS side sets explicitly so that a missing API key never turns into an interactive login prompt.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m still_rl.trackers.wandb_sink")
    parser.add_argument("--project", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--config-json", default="{}", help="the resolved run config, as JSON")
    args = parser.parse_args(argv)

    import wandb

    run = wandb.init(project=args.project, name=args.name, dir=args.dir, config=json.loads(args.config_json))
    print(f"wandb-dir {run.dir}", flush=True)
    defined: set[tuple[str, str]] = set()
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        step_metric = "sft/step" if message["stage"] == "sft" else "rl/step"
        for name in message["metrics"]:
            prefix = name.split("/", 1)[0]
            if (prefix, step_metric) not in defined:
                run.define_metric(f"{prefix}/*", step_metric=step_metric)
                defined.add((prefix, step_metric))
        run.log({**message["metrics"], step_metric: int(message["step"])})
    run.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
