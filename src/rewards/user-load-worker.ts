import { parentPort, workerData } from "node:worker_threads";
import { firstLine, loadUserRewards } from "./user-load.js";
import type { UserRewardSpec } from "./user-rewards.js";

/** Loads the user reward files once, on a thread that can be terminated, and reports their names or the error. */
loadUserRewards(workerData as UserRewardSpec[]).then(
  (rewards) => parentPort?.postMessage({ ok: true, names: rewards.map((r) => r.reward.name) }),
  (err: unknown) => parentPort?.postMessage({ ok: false, message: firstLine(err) }),
);
