import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/util/paths.js";
import { runCli } from "../helpers/cli.js";

describe("still sandbox run", () => {
  it("prints one JSON object and exits 0 when the snippet fails", async () => {
    const r = await runCli(["sandbox", "run", "--code", "print('hi')\nraise SystemExit(4)"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual([
      "status",
      "exitCode",
      "stdout",
      "stderr",
      "truncated",
      "limit",
      "signal",
      "ms",
    ]);
    expect(out).toMatchObject({
      status: "error",
      exitCode: 4,
      stdout: "hi\n",
      truncated: false,
      limit: null,
    });
    expect(out.ms).toBeGreaterThan(0);
  });

  it("runs a file with a timeout", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "still-cli-"));
    try {
      const file = path.join(dir, "loop.py");
      writeFileSync(file, "while True:\n    pass\n");
      const r = await runCli(["sandbox", "run", "--file", file, "--timeout", "0.5"]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: "timeout", exitCode: null, limit: "timeoutMs" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes limits and isolation from a run config; --isolation none warns loudly", async () => {
    const config = path.join(packageRoot, "configs/eval/still3-tool-greedy.yaml");
    const ok = await runCli(["sandbox", "run", "--config", config, "--code", "print(sum(range(10)))"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: "ok", stdout: "45\n" });
    expect(ok.stderr).toBe("");
    const none = await runCli([
      "sandbox",
      "run",
      "--config",
      config,
      "--isolation",
      "none",
      "--code",
      "print(1)",
    ]);
    expect(JSON.parse(none.stdout)).toMatchObject({ status: "ok", stdout: "1\n" });
    expect(none.stderr).toMatch(/WARNING: sandbox isolation is OFF/);
  });

  it.each([
    [["sandbox", "run"], /give --file F or --code C/],
    [["sandbox", "run", "--code", "1", "--file", "x.py"], /give --file or --code, not both/],
    [["sandbox", "run", "--file", "/nonexistent/x.py"], /cannot read \/nonexistent\/x.py/],
    [["sandbox", "run", "--code", "1", "--timeout", "-1"], /--timeout must be a positive number/],
  ])("%j exits 1 with one line", async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
