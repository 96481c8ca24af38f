import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { execa } from "execa";
import { processesUsing, processesWith } from "./processes.js";

/**
 * Ports for a Ray head a test starts. Tests run two at a time and two heads may be up at once: every port Ray
 * would otherwise take at a fixed default (dashboard agent, metrics, runtime-env agent, client server, workers)
 * comes from one random block, so the heads never collide.
 */
export function rayHeadPorts(): { port: number; dashboardPort: number; args: string[] } {
  const base = 20_000 + 200 * Math.floor(Math.random() * 150);
  const port = base;
  const dashboardPort = base + 1;
  const args = [
    ...["--port", String(port)],
    ...["--dashboard-port", String(dashboardPort)],
    ...["--dashboard-agent-listen-port", String(base + 2)],
    ...["--dashboard-agent-grpc-port", String(base + 3)],
    ...["--metrics-export-port", String(base + 4)],
    ...["--runtime-env-agent-port", String(base + 5)],
    ...["--ray-client-server-port", String(base + 6)],
    ...["--node-manager-port", String(base + 7)],
    ...["--object-manager-port", String(base + 8)],
    ...["--min-worker-port", String(base + 9)],
    ...["--max-worker-port", String(base + 199)],
  ];
  return { port, dashboardPort, args };
}

export interface TestRayHead {
  /** The job server, e.g. http://127.0.0.1:20201. */
  address: string;
  gcsPort: number;
  /** Stops exactly this head's processes and removes its temp dir (`ray stop` would stop every Ray here). */
  stop(): Promise<void>;
}

const MARKER = "STILL_TEST_RAY_HEAD";

/**
 * Starts a Ray head for a test on ports (rayHeadPorts) and a temp dir of its own, so it never meets another Ray
 * on this machine, and waits until its job server takes a no-op job: `ray start` returns before the job agent is
 * up, minutes before on a loaded machine. Its processes are found again by a marker in their environment and,
 * since Ray's agents overwrite their environment with their process title, by the files they hold open in the
 * temp dir.
 */
export async function startRayHead(ray: string, numCpus: number): Promise<TestRayHead> {
  const ports = rayHeadPorts();
  const marker = randomUUID();
  const temp = mkdtempSync("/tmp/sr-");
  const head = () => [...new Set([...processesWith(MARKER, marker), ...processesUsing(temp)])];
  const stop = async () => {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      for (const pid of head()) {
        try {
          process.kill(pid, signal);
        } catch {
          // gone
        }
      }
      const until = Date.now() + 20_000;
      while (head().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    }
    // `ray start` records its head for later ray.init() calls on this machine: forget ours.
    const current = "/tmp/ray/ray_current_cluster";
    if (existsSync(current) && readFileSync(current, "utf8").trim().endsWith(`:${ports.port}`))
      rmSync(current);
    rmSync(temp, { recursive: true, force: true });
  };
  try {
    await execa(
      ray,
      [
        ...[
          "start",
          "--head",
          "--num-cpus",
          String(numCpus),
          "--disable-usage-stats",
          "--include-dashboard",
          "true",
        ],
        ...["--dashboard-host", "127.0.0.1", "--temp-dir", temp, ...ports.args],
      ],
      { env: { [MARKER]: marker, RAY_AUTH_MODE: "disabled" }, timeout: 240_000 },
    );
    const address = `http://127.0.0.1:${ports.dashboardPort}`;
    for (let i = 0; ; i++) {
      const r = await execa(ray, ["job", "submit", "--address", address, "--no-wait", "--", "true"], {
        reject: false,
      });
      if (r.exitCode === 0) break;
      if (i >= 150) throw new Error(`the Ray head did not come up:\n${r.stderr}`);
      await new Promise((done) => setTimeout(done, 2000));
    }
    return { address, gcsPort: ports.port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
