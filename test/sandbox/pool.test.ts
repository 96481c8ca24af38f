import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_ISOLATION_WARNING, SandboxError, SandboxPool } from "../../src/sandbox/index.js";

let pool: SandboxPool;

beforeAll(async () => {
  pool = await SandboxPool.create({ concurrency: 2, timeoutMs: 20_000 });
});

afterAll(() => pool?.close());

describe("SandboxPool", () => {
  it("imports sympy and numpy inside the sandbox", async () => {
    const r = await pool.run(
      "import numpy as np, sympy as sp\nprint(int(np.arange(5).sum()), sp.factorint(360))",
    );
    expect(r).toMatchObject({
      status: "ok",
      exitCode: 0,
      stdout: "10 {2: 3, 3: 2, 5: 1}\n",
      truncated: false,
    });
  });

  it.each([
    ["raise SystemExit(0)", "ok", 0],
    ["import sys; sys.exit(3)", "error", 3],
    ["raise ValueError('bad value')", "error", 1],
    ["x = input()", "error", 1],
    ["def f(:\n    pass", "error", 1],
  ])("%s -> %s (exit %i)", async (code, status, exitCode) => {
    const r = await pool.run(code);
    expect(r.status).toBe(status);
    expect(r.exitCode).toBe(exitCode);
  });

  it("tracebacks show the snippet's frames and source, not the boot program's", async () => {
    const r = await pool.run("def f():\n    return 1 / 0\nf()");
    expect(r.stderr).toContain('File "<snippet>", line 2, in f');
    expect(r.stderr).toContain("return 1 / 0");
    expect(r.stderr).not.toContain("<string>");
    expect(r.stderr.trim().split("\n").pop()).toBe("ZeroDivisionError: division by zero");
  });

  it("stdout printed before an exception is kept", async () => {
    const r = await pool.run("print('partial')\nraise KeyError('k')");
    expect(r.stdout).toBe("partial\n");
    expect(r.stderr.trim().split("\n").pop()).toBe("KeyError: 'k'");
  });

  it("runs no more than `concurrency` snippets at once", async () => {
    const one = await SandboxPool.create({ concurrency: 1 });
    try {
      const started = performance.now();
      const rs = await Promise.all([0, 1, 2].map(() => one.run("import time; time.sleep(0.3)")));
      expect(rs.map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      one.close();
    }
  });

  it("a closed pool refuses work", async () => {
    const p = await SandboxPool.create({ concurrency: 1 });
    p.close();
    await expect(p.run("print(1)")).rejects.toThrow(SandboxError);
  });
});

describe("SandboxSession", () => {
  it("later calls see earlier definitions; earlier output is not repeated", async () => {
    const s = pool.session();
    expect((await s.run("x = 20\nprint('first')")).stdout).toBe("first\n");
    expect((await s.run("def g(y):\n    return x + y")).stdout).toBe("");
    const r = await s.run("print(g(22))");
    expect(r).toMatchObject({ status: "ok", stdout: "42\n", stderr: "" });
  });

  it("a failing call keeps what it defined before failing; a timed-out call is not replayed", async () => {
    const s = pool.session();
    expect((await s.run("a = 1\nraise RuntimeError('x')\nb = 2")).status).toBe("error");
    expect((await s.run("import time\nc = 3\ntime.sleep(100)", { timeoutMs: 500 })).status).toBe("timeout");
    const r = await s.run("print(a, 'b' in dir(), 'c' in dir())");
    expect(r).toMatchObject({ status: "ok", stdout: "1 False False\n" });
  });

  it("replayed output written straight to the file descriptors is discarded too", async () => {
    const s = pool.session();
    await s.run("import os\nos.write(1, b'raw\\n')\nos.system('echo child')");
    const r = await s.run("print('only this')");
    expect(r.stdout).toBe("only this\n");
  });

  it("sessions are independent", async () => {
    const a = pool.session();
    const b = pool.session();
    await a.run("v = 'a'");
    const r = await b.run("print('v' in dir())");
    expect(r.stdout).toBe("False\n");
  });
});

describe("isolation", () => {
  it("isolation: none runs, and warns on every run", async () => {
    const warnings: string[] = [];
    const p = await SandboxPool.create({ isolation: "none", concurrency: 1, warn: (m) => warnings.push(m) });
    try {
      expect((await p.run("print(2 + 2)")).stdout).toBe("4\n");
      // The environment's libraries import here too (site-packages at their host paths).
      expect((await p.run("import sympy; print(sympy.Integer(6) * 7)")).stdout).toBe("42\n");
      expect((await p.run("import time; time.sleep(5)", { timeoutMs: 300 })).status).toBe("timeout");
      // A daemonised grandchild holding stdout must not hang the run.
      const daemon = await p.run(
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(3)\n    os._exit(0)\nprint('parent')",
      );
      expect(daemon).toMatchObject({ status: "ok", stdout: "parent\n" });
      expect(daemon.ms).toBeLessThan(2500);
      expect(warnings).toEqual(Array(4).fill(NO_ISOLATION_WARNING));
    } finally {
      p.close();
    }
  });

  it("refuses to run sandboxes as host root", async () => {
    await expect(SandboxPool.create({ hostUid: 0 })).rejects.toThrow(/must not be 0/);
  });

  it("fails closed with a clear message when bubblewrap cannot make namespaces", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "still-fake-bwrap-"));
    const fake = path.join(dir, "bwrap");
    writeFileSync(
      fake,
      "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n",
    );
    chmodSync(fake, 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${savedPath}`;
    try {
      const err = await SandboxPool.create({ concurrency: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SandboxError);
      const message = (err as Error).message;
      expect(message).toMatch(/refusing to run model-written code/);
      expect(message).toMatch(/No permissions to creating new namespace/);
      expect(message).toMatch(/isolation: none/);
    } finally {
      process.env.PATH = savedPath;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
