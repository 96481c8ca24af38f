"""Grades a JSONL of responses with HuggingFace Math-Verify, end to end like `npm run bench:eval`'s TypeScript
side: read the file, parse gold and response, verify, then pass@1 averaged over samples, pass@k and maj@k per
benchmark. Prints one JSON object with the wall time (file read to summary; imports excluded) and the verdicts.

Configuration as scripts/bench/verify_math_verify.py: gold with LatexExtractionConfig, the response with
LatexExtractionConfig(boxed_match_priority=0) + ExprExtractionConfig.
"""

import json
import sys
import time
from collections import Counter, defaultdict
from math import comb

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify


def pass_at_k(n: int, c: int, k: int) -> float:
    return 1.0 if n - c < k else 1.0 - comb(n - c, k) / comb(n, k)


def main() -> None:
    path, ks = sys.argv[1], [int(k) for k in sys.argv[2].split(",")]
    gold_cfg = [LatexExtractionConfig()]
    pred_cfg = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    t0 = time.perf_counter()
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    verdicts = []
    problems = defaultdict(list)
    for row in rows:
        pred = parse(row["response"], pred_cfg)
        ok = bool(verify(parse(f"${row['gold']}$", gold_cfg), pred))
        verdicts.append(ok)
        answer = str(pred[-1]) if pred else None
        problems[(row["benchmark"], row["problem"])].append((ok, answer))
    summary = {}
    for k in ks:
        summary[f"pass@{k}"] = sum(pass_at_k(len(s), sum(o for o, _ in s), k) for s in problems.values()) / len(problems)
        maj = 0
        for s in problems.values():
            votes = Counter(a for _, a in s[:k] if a is not None)
            if votes:
                winner = votes.most_common(1)[0][0]
                maj += next(o for o, a in s[:k] if a == winner)
        summary[f"maj@{k}"] = maj / len(problems)
    elapsed = time.perf_counter() - t0
    json.dump({"seconds": elapsed, "verdicts": verdicts, "summary": summary}, sys.stdout)


if __name__ == "__main__":
    main()
