// biome-ignore-all lint/suspicious/noTemplateCurlyInString: YAML text with ${ENV} references
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { loadConfig, printConfig } from "../../src/config/index.js";
import { buildReport } from "../../src/report/report.js";
import { runCli as run } from "../helpers/cli.js";

/** Issue 13, items 11 and 13 (CLI side): every user error exits 1 with one clear line, never a stack. */

const dir = mkdtempSync(path.join(tmpdir(), "still-cli-hardening-"));
const config = path.join(dir, "run.yaml");
writeFileSync(config, "model: { path: m }\nrewards:\n  components:\n    - { name: correctness }\n");
const oneLine = path.join(dir, "one.jsonl");
writeFileSync(oneLine, `${JSON.stringify({ gold: "1", pred: "\\boxed{1}" })}\n`);

function expectOneLineUserError(r: { code: number; stderr: string }, fragment: RegExp) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(fragment);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

describe("numeric options are validated", () => {
  it.each([
    [["reward", "serve", "--config", config, "--port", "abc"], /--port: expected an integer from 0 to 65535/],
    [["reward", "serve", "--config", config, "--port", "70000"], /--port: expected an integer/],
    [["reward", "serve", "--config", config, "--threads", "0"], /--threads: expected an integer from 1/],
    [["reward", "serve", "--config", config, "--threads", "1.5"], /--threads: expected an integer/],
    [["reward", "serve", "--config", config, "--max-body-mb", "abc"], /--max-body-mb: expected a number/],
    [["reward", "serve", "--config", config, "--max-body-mb", "-1"], /--max-body-mb: expected a number/],
    [["verify", "--input", oneLine, "--threads", "0"], /--threads: expected an integer from 1/],
    [
      ["data", "inject-tools", "--input", oneLine, "--output", "x", "--seed", "x"],
      /--seed: expected an integer/,
    ],
    [
      ["sandbox", "run", "--code", "print(1)", "--timeout", "3000000"],
      /--timeout must be a positive number of seconds up to 2147483/,
    ],
  ])("%j", async (argv, fragment) => {
    expectOneLineUserError(await run(argv as string[]), fragment);
  });
});

describe("run directories", () => {
  it("train --out where no directory can be made is one line, exit 1", async () => {
    const r = await run(["train", config, "--out", path.join(oneLine, "run")]);
    expectOneLineUserError(r, /cannot create the run directory .*one\.jsonl\/run: ENOTDIR/);
    const proc = await run(["train", config, "--out", "/proc/still-no-such-run"]);
    expectOneLineUserError(
      proc,
      /cannot create the run directory \/proc\/still-no-such-run: it is under \/proc/,
    );
  });
});

describe("verify input and output errors", () => {
  it("--input DIR is one line, exit 1", async () => {
    expectOneLineUserError(await run(["verify", "--input", dir]), /cannot read .*: it is a directory/);
  });

  it("--output /dev/full is one line, exit 1", async () => {
    const r = await run(["verify", "--input", oneLine, "--output", "/dev/full"]);
    expectOneLineUserError(r, /cannot write \/dev\/full: ENOSPC/);
  });

  it("data inject-tools --output DIR is one line, exit 1", async () => {
    const input = path.join(dir, "cots.jsonl");
    writeFileSync(input, `${JSON.stringify({ response: "Let me think. Wait, 1+1=2." })}\n`);
    const r = await run(["data", "inject-tools", "--input", input, "--output", dir]);
    expectOneLineUserError(r, /cannot write .*EISDIR/);
  });

  it("--output into a missing directory is one line, exit 1", async () => {
    const r = await run([
      "verify",
      "--input",
      oneLine,
      "--output",
      path.join(dir, "no", "such", "out.jsonl"),
    ]);
    expectOneLineUserError(r, /cannot write .*ENOENT/);
  });
});

describe("the still executable", () => {
  const cli = path.join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");
  const entry = `import(${JSON.stringify(cli)}).then((m) => m.runCli(process.argv.slice(1)))`;

  it("ends quietly when its reader goes away (| head)", async () => {
    const big = path.join(dir, "big.jsonl");
    const pad = "x".repeat(2000);
    const rows = Array.from({ length: 200 }, (_, i) => JSON.stringify({ gold: `${i}`, pred: `${i}`, pad }));
    writeFileSync(big, `${rows.join("\n")}\n`);
    const script = `${JSON.stringify(process.execPath)} --import tsx -e '${entry}' verify --input ${big} | head -c 10 >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`;
    const r = await execa("bash", ["-c", script], { reject: false });
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at |internal error/);
    expect(r.stderr).toMatch(/status 0$/);
  });
});

describe("report.html never holds an expanded secret", () => {
  it("the run's config.yaml (printConfig) keeps ${VAR}, so the report shows the reference", async () => {
    const secret = "hf_report_SECRET_0123456789";
    const run = path.join(dir, "run-with-secret");
    mkdirSync(run, { recursive: true });
    const yaml = path.join(dir, "secret.yaml");
    writeFileSync(yaml, "name: secret\nmodel:\n  path: /models/${MODEL_TOKEN}\n");
    const { config } = loadConfig(yaml, { env: { MODEL_TOKEN: secret } });
    writeFileSync(path.join(run, "config.yaml"), printConfig(config));
    writeFileSync(path.join(run, "metrics.jsonl"), `${JSON.stringify({ step: 0, "eval/accuracy": 0.5 })}\n`);
    const html = await buildReport([run]);
    expect(html).toContain("${MODEL_TOKEN}");
    expect(html).not.toContain(secret);
  });
});
