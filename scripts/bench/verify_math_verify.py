"""Times HuggingFace Math-Verify on the pairs the TypeScript bench sends on stdin (JSON list of [gold, response]).

Configuration follows the verifier anchor notes: gold parsed with LatexExtractionConfig, the response with
LatexExtractionConfig(boxed_match_priority=0) + ExprExtractionConfig, then verify(gold, pred). Prints one JSON
object: per-pair latencies in milliseconds and the verdicts.
"""

import json
import sys
import time

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify


def main() -> None:
    pairs = json.load(sys.stdin)
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    gold_cfg = [LatexExtractionConfig()]
    pred_cfg = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    latencies = []
    verdicts = []
    for r in range(repeats):
        for gold, response in pairs:
            t0 = time.perf_counter()
            ok = verify(parse(f"${gold}$", gold_cfg), parse(response, pred_cfg))
            latencies.append((time.perf_counter() - t0) * 1000)
            if r == 0:
                verdicts.append(bool(ok))
    json.dump({"latencies_ms": latencies, "verdicts": verdicts}, sys.stdout)


if __name__ == "__main__":
    main()
