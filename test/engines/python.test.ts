/** Runs the Python-level unit tests of the HF engine core (python/tests/test_hf_engine.py) in the project venv. */
import path from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { packageRoot } from "../../src/util/paths.js";

it("passes the Python unit tests of the HF engine core", async () => {
  const script = path.join(packageRoot, "python", "tests", "test_hf_engine.py");
  const result = await execa(resolvePython().executable, [script], {
    env: pythonEnv({ HF_HUB_OFFLINE: "1" }),
    extendEnv: false,
    reject: false,
    all: true,
  });
  expect(result.all).toMatch(/all passed/);
  expect(result.exitCode, String(result.all)).toBe(0);
});
