"""still-rl's veRL 0.9.1 plugin, loaded by ``import verl`` through the ``verl.plugins`` entry point
``still_rl = still_rl.verl`` (python/pyproject.toml). It registers, under the names the compiler emits:

- reward manager ``still``  (``reward.reward_manager.name=still``): reward_manager.py
- trainer ``still3``         (``trainer.v1.trainer_mode=still3``): trainer.py
- agent loop ``still_tool``  (``actor_rollout_ref.rollout.agent.default_agent_loop=still_tool``): agent_loop.py

Every veRL process reaches the TS side (src/backends/verl/services.ts) with the environment that
``startVerlServices`` returns: STILL_BRIDGE_* (endpoint, CURVE keys), STILL_REWARD_*, STILL_TOOL_STOP.

veRL logs a plugin that fails to import at DEBUG and the launch dies later with "Unknown trainer 'still3'".
So a failure here prints its traceback and raises SystemExit, which veRL's ``except Exception`` does not
catch: ``import verl`` (and so the launch) stops with this plugin's own error.
"""

import sys
import traceback

try:
    from . import agent_loop, reward_manager, trainer  # noqa: F401  (registration is the import's effect)
except Exception as _e:  # noqa: BLE001
    traceback.print_exc()
    raise SystemExit(f"still-rl veRL plugin (still_rl.verl) failed to import: {type(_e).__name__}: {_e}") from _e

del sys, traceback
