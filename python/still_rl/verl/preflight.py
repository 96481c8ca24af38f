"""First command of every veRL launch, in the job's own environment (locally or inside ``ray job submit``):
import the still-rl plugin from its entry point and shake hands with the TS services over the bridge (the
STILL_BRIDGE_* endpoint and CURVE keys of the job's environment). veRL would swallow a broken plugin and meet
a wrong endpoint or key only mid-step; here either stops the launch at once with its own message."""

from __future__ import annotations

import os
import sys

from still_rl.verl.check import load_plugin


def main() -> int:
    errors = load_plugin()
    if errors:
        for e in errors:
            print(f"still-rl preflight: {e}", file=sys.stderr)
        return 3
    import verl

    print(f"still-rl preflight: verl {verl.__version__}, still-rl plugin loaded", flush=True)
    from still_rl.bridge import Peer

    peer = Peer(role="verl", name=f"verl-preflight-{os.getpid()}", connect_timeout=30.0)
    try:
        peer.start()
    except Exception as exc:  # noqa: BLE001 - the message is the report
        print(f"still-rl preflight: bridge handshake with {peer.config.endpoint} failed: {exc}", file=sys.stderr)
        return 4
    finally:
        peer.close()
    auth = "CURVE" if peer.config.curve else "no auth"
    print(f"still-rl preflight: bridge handshake ok ({peer.config.endpoint}, {auth})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
