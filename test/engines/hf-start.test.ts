/** Starting the HF engine on a model that cannot load fails with the exit code and the cause, not a timeout. */
import { expect, it } from "vitest";
import { PeerLostError } from "../../src/bridge/errors.js";
import { startHfEngine } from "../../src/engines/hf.js";

it("reports a model that cannot load with the exit code and the error as the last stderr line", async () => {
  const started = startHfEngine({ model: "/nonexistent/still-rl-model", threads: 1, startTimeoutMs: 60_000 });
  const error = await started.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PeerLostError);
  const lost = error as PeerLostError;
  expect(lost.exit?.code).toBe(4);
  expect(lost.stderrTail.at(-1)).toMatch(/^still_rl hf engine: cannot load \/nonexistent\/still-rl-model: /);
  expect(lost.message).toMatch(/exited with code 4/);
});
