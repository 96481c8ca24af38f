import { describe, expect, it } from "vitest";
import { formatDoctor, runDoctor } from "../../src/doctor/doctor.js";
import { runCli } from "../helpers/cli.js";

describe("still doctor", () => {
  it("reports the project interpreter and its packages", async () => {
    const report = await runDoctor();
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName.python?.value).toMatch(/^3\.\d+\.\d+ /);
    expect(byName.torch?.value).toMatch(/^2\.13\.0/);
    expect(byName.pyzmq?.ok).toBe(true);
    expect(byName.verl?.value).toBe("not installed");
    expect(formatDoctor(report)).toMatch(/sandbox/);
    // Which memory enforcement the sandbox has here: a cgroup per execution, or the fallback and why.
    expect(byName["sandbox memory"]?.value).toMatch(
      /^(cgroup v[12]: one memory cgroup per execution|no cgroup \()/,
    );
  });

  it("fails a requirement the environment does not meet, with a fix", async () => {
    const report = await runDoctor({ packages: ["verl"], sandbox: false, cuda: true });
    const verl = report.checks.find((c) => c.name === "verl");
    const cuda = report.checks.find((c) => c.name === "cuda");
    expect(verl?.ok).toBe(false);
    expect(verl?.fix).toMatch(/pip install verl/);
    // CI machines have no GPU; on a GPU machine the same requirement is met.
    expect(cuda?.ok).toBe(/GPU\(s\)/.test(cuda?.value ?? ""));
  });
});

describe("an interpreter that cannot start", () => {
  it("is a failed python check naming the interpreter, and the run goes on to the other checks", async () => {
    const report = await runDoctor(undefined, "/nonexistent/python3");
    const python = report.checks.find((c) => c.name === "python");
    expect(python?.ok).toBe(false);
    expect(python?.value).toMatch(/cannot start \/nonexistent\/python3/);
    expect(report.checks.find((c) => c.name === "torch")?.value).toBe("not installed");
    expect(process.env.PYTHON_BIN).toBeUndefined();
  });
});

describe("still doctor --config", () => {
  it("exits 1 and says how to fix what an OpenRLHF run lacks here (.venv-openrlhf's GPU packages)", async () => {
    const r = await runCli(["doctor", "--config", "configs/still3/still3-1.5b.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ok {3}OpenRLHF openrlhf\s+0\.11\.2\n/);
    expect(r.stdout).toMatch(/FAIL OpenRLHF vllm\s+not installed\n\s+fix: .*pip install vllm==/);
  }, 120_000);
});
