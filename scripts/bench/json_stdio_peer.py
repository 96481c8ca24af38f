"""Baseline for `npm run bench:bridge`: the same operations as the bridge's echo peer, as JSON lines over
stdin/stdout. Arrays become numpy int32 arrays on arrival, as they do on the bridge."""

import json
import sys

import numpy as np

made = {}
for line in sys.stdin:
    msg = json.loads(line)
    op = msg["op"]
    if op == "echo":
        reply = {"ids": np.array(msg["ids"], dtype=np.int32).tolist()}
    elif op == "nbytes":
        reply = np.array(msg["ids"], dtype=np.int32).nbytes
    elif op == "make":
        n = msg["n"]
        if n not in made:
            made.clear()
            made[n] = np.arange(n, dtype=np.int32)
        reply = {"ids": made[n].tolist()}
    else:
        reply = msg
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
