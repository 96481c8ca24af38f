// biome-ignore-all lint/suspicious/noTemplateCurlyInString: YAML text with ${ENV} references
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, printConfig } from "../../src/config/index.js";
import { runCli } from "../helpers/cli.js";
import { issuesOf, writeFiles } from "./helpers.js";

/** Issue 13, items 5, 12 and 13 (config side): secrets, hostile files, diamonds, bombs and prototype keys. */

const MODEL = "model:\n  path: m\n";
const SECRET = "hf_SECRET_do_not_print_0123456789";

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error("loaded without errors");
}

describe("configs never echo secrets", () => {
  it("a type error on a ${VAR} value shows the reference, not the value", () => {
    const dir = writeFiles({ "x.yaml": `${MODEL}rollout:\n  n: \${HF_TOKEN}\n` });
    const message = messageOf(() => loadConfig(path.join(dir, "x.yaml"), { env: { HF_TOKEN: SECRET } }));
    expect(message).toContain("rollout.n");
    expect(message).toContain("${HF_TOKEN}");
    expect(message).not.toContain(SECRET);
  });

  it("a ${VAR} inside a longer value is not echoed either, nor is an inherited one", () => {
    const dir = writeFiles({
      "base.yaml": `${MODEL}rollout:\n  temperature: "t-\${TOKEN}"\n`,
      "x.yaml": "extends: base.yaml\n",
    });
    const message = messageOf(() => loadConfig(path.join(dir, "x.yaml"), { env: { TOKEN: SECRET } }));
    expect(message).toContain("rollout.temperature");
    expect(message).not.toContain(SECRET);
  });

  it("echoed values are truncated", () => {
    const long = "y".repeat(5000);
    const dir = writeFiles({ "x.yaml": `${MODEL}rollout:\n  n: ${long}\n` });
    const message = messageOf(() => loadConfig(path.join(dir, "x.yaml"), { env: {} }));
    expect(message).toContain("rollout.n");
    expect(message.length).toBeLessThan(300);
  });

  it("printConfig (config.yaml, report.html) writes ${VAR}, and reloading reads the variable again", () => {
    const dir = writeFiles({ "x.yaml": "model:\n  path: ${MODEL_DIR}/qwen\nrollout:\n  n: ${N}\n" });
    const env = { MODEL_DIR: `/models/${SECRET}`, N: "6" };
    const { config } = loadConfig(path.join(dir, "x.yaml"), { env });
    expect(config.model.path).toBe(`/models/${SECRET}/qwen`);
    const printed = printConfig(config);
    expect(printed).not.toContain(SECRET);
    expect(printed).toContain("${MODEL_DIR}/qwen");
    writeFileSync(path.join(dir, "printed.yaml"), printed);
    expect(loadConfig(path.join(dir, "printed.yaml"), { env }).config).toEqual(config);
  });

  it("a value replaced by --set is printed as the override, not as the reference", () => {
    const dir = writeFiles({ "x.yaml": `${MODEL}rollout:\n  n: \${N}\n` });
    const { config } = loadConfig(path.join(dir, "x.yaml"), { env: { N: "6" }, set: ["rollout.n=3"] });
    expect(printConfig(config)).toMatch(/\n {2}n: 3\n/);
  });

  it("extends refuses /proc and other non-regular files without showing their content", () => {
    process.env.STILL_PROBE_SECRET = SECRET;
    try {
      const dir = writeFiles({ "x.yaml": `extends: /proc/self/environ\n${MODEL}` });
      symlinkSync("/proc/self/environ", path.join(dir, "env.yaml"));
      writeFileSync(path.join(dir, "y.yaml"), `extends: env.yaml\n${MODEL}`);
      writeFileSync(path.join(dir, "z.yaml"), `extends: /dev/zero\n${MODEL}`);
      for (const entry of ["x.yaml", "y.yaml", "z.yaml"]) {
        const message = messageOf(() => loadConfig(path.join(dir, entry)));
        expect(message).toMatch(/is not a config file|is not a regular file/);
        expect(message).not.toContain(SECRET);
        expect(message.split("\n")).toHaveLength(1);
      }
      const dirAsParent = writeFiles({ "x.yaml": `extends: sub\n${MODEL}`, "sub/a.yaml": "seed: 1\n" });
      expect(issuesOf(dirAsParent, "x.yaml")[0]?.message).toContain("is not a regular file");
    } finally {
      delete process.env.STILL_PROBE_SECRET;
    }
  });

  it("a huge file is refused before parsing", () => {
    const dir = writeFiles({ "x.yaml": `${MODEL}# ${"x".repeat(2 * 1024 * 1024)}\n` });
    expect(issuesOf(dir, "x.yaml")[0]?.message).toMatch(/at most \d+/);
  });
});

describe("extends lattices", () => {
  it("a diamond lattice of 20 files, each extending the next twice, reads each file once", () => {
    const files: Record<string, string> = { "f20.yaml": `${MODEL}seed: 20\n` };
    for (let i = 19; i >= 0; i--) {
      files[`f${i}.yaml`] = `extends: [f${i + 1}.yaml, ./f${i + 1}.yaml]\nseed: ${i}\n`;
    }
    const dir = writeFiles(files);
    const started = performance.now();
    const { config } = loadConfig(path.join(dir, "f0.yaml"), { env: {} });
    expect(config.seed).toBe(0);
    // Re-reading per path would be 2^20 reads (over a minute); once per file is milliseconds.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("cycles are still reported inside a diamond", () => {
    const dir = writeFiles({
      "a.yaml": `extends: [b.yaml, c.yaml]\n${MODEL}`,
      "b.yaml": "extends: d.yaml\n",
      "c.yaml": "extends: d.yaml\n",
      "d.yaml": "extends: a.yaml\n",
    });
    expect(issuesOf(dir, "a.yaml").map((i) => i.message)).toContainEqual(
      expect.stringContaining("cyclic extends"),
    );
  });
});

describe("hostile YAML and overrides", () => {
  it("an alias bomb is an invalid-YAML error, not a hang or a crash", () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const dir = writeFiles({ "x.yaml": `${MODEL}${lines.join("\n")}\n` });
    expect(issuesOf(dir, "x.yaml")[0]?.message).toMatch(/invalid YAML: too many alias/);
  });

  it("--set __proto__.x=1 is refused and pollutes nothing", () => {
    const dir = writeFiles({ "x.yaml": MODEL });
    for (const expr of [
      "__proto__.polluted=1",
      "rollout.__proto__.polluted=1",
      "constructor.prototype.polluted=1",
    ]) {
      const message = messageOf(() => loadConfig(path.join(dir, "x.yaml"), { env: {}, set: [expr] }));
      expect(message).toContain("expected KEY=VALUE");
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a __proto__ key in a file is refused", () => {
    const dir = writeFiles({ "x.yaml": `${MODEL}rollout:\n  __proto__:\n    n: 1\n` });
    expect(issuesOf(dir, "x.yaml")[0]?.message).toContain('"__proto__" is not allowed');
  });

  it("the CLI exits 1 with one line for each", async () => {
    const dir = writeFiles({ "x.yaml": `extends: /proc/self/environ\n${MODEL}`, "ok.yaml": MODEL });
    for (const argv of [
      ["config", "print", path.join(dir, "x.yaml")],
      ["config", "print", path.join(dir, "ok.yaml"), "--set", "__proto__.x=1"],
      ["config", "print", "/proc/self/environ"],
    ]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(" ")).toBe(1);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
    }
    expect(readFileSync(path.join(dir, "ok.yaml"), "utf8")).toBe(MODEL);
  });
});
