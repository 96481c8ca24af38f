import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { pythonEnv } from "../../../src/pyenv/python.js";
import { verlPython } from "./helpers.js";

describe("the veRL plugin entry point", () => {
  it("a plugin that fails to import stops `import verl` with its own error (veRL would log it at DEBUG)", async () => {
    // A pyzmq that cannot be imported, first on the path: the plugin's bridge client needs it.
    const dir = mkdtempSync(path.join(tmpdir(), "still-broken-zmq-"));
    mkdirSync(path.join(dir, "zmq"));
    writeFileSync(
      path.join(dir, "zmq", "__init__.py"),
      'raise ImportError("pyzmq is broken in this test")\n',
    );
    const env = pythonEnv();
    const r = await execa(verlPython(), ["-c", "import verl; print('launch went on')"], {
      env: { ...env, PYTHONPATH: `${dir}${path.delimiter}${env.PYTHONPATH}` },
      reject: false,
      timeout: 180_000,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain("launch went on");
    expect(r.stderr).toMatch(
      /still-rl veRL plugin \(still_rl\.verl\) failed to import: ImportError: pyzmq is broken in this test/,
    );
  }, 200_000);
});
