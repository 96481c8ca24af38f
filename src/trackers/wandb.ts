import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { pythonEnv } from "../pyenv/python.js";
import type { Stage, Tracker } from "./types.js";

export interface WandbOptions {
  python: string;
  project: string;
  name: string;
  /** wandb writes `DIR/wandb/…` (offline runs: `DIR/wandb/offline-run-*`). */
  dir: string;
  config: unknown;
  /** Called once if the sink dies: the run goes on, metrics.jsonl keeps everything. */
  onError: (message: string) => void;
}

/** online with an API key, offline without one (never wandb's interactive login prompt); WANDB_MODE wins. */
export function wandbMode(env: NodeJS.ProcessEnv): { mode: string; notice?: string } {
  if (env.WANDB_MODE) return { mode: env.WANDB_MODE };
  if (env.WANDB_API_KEY) return { mode: "online" };
  return {
    mode: "offline",
    notice:
      "wandb: no WANDB_API_KEY, logging offline; upload later with `wandb sync <run>/wandb/offline-run-*`",
  };
}

const STDERR_TAIL = 2_000;

/**
 * Weights & Biases through its own Python client in a child process (the wandb-core service is a Go binary
 * driven from Python; there is no supported JS client). One JSON line per step on the child's stdin.
 */
export class WandbTracker implements Tracker {
  readonly name = "wandb";
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private stderr = "";
  private failed = false;

  constructor(private readonly opts: WandbOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.child = spawn(
      opts.python,
      [
        "-m",
        "still_rl.trackers.wandb_sink",
        "--project",
        opts.project,
        "--name",
        opts.name,
        "--dir",
        opts.dir,
        "--config-json",
        JSON.stringify(opts.config ?? {}),
      ],
      {
        env: pythonEnv({ WANDB_MODE: wandbMode(process.env).mode, WANDB_SILENT: "true" }),
        stdio: ["pipe", "ignore", "pipe"],
      },
    );
    this.child.stderr?.on("data", (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-STDERR_TAIL);
    });
    this.child.stdin?.on("error", () => this.fail("its input closed"));
    this.exited = new Promise((resolve) => {
      this.child.on("error", (e) => {
        this.fail(e.message);
        resolve(null);
      });
      this.child.on("exit", (code) => {
        if (code !== 0) this.fail(`exit code ${code}`);
        resolve(code);
      });
    });
  }

  private fail(why: string): void {
    if (this.failed) return;
    this.failed = true;
    const tail = this.stderr.trim().split("\n").slice(-5).join("\n  ");
    this.opts.onError(
      `wandb tracker stopped (${why}); metrics.jsonl still has every metric${tail ? `\n  ${tail}` : ""}`,
    );
  }

  log(stage: Stage, step: number, metrics: Readonly<Record<string, number>>): void {
    if (this.failed || this.child.stdin === null || this.child.stdin.destroyed) return;
    const finite = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
    this.child.stdin.write(`${JSON.stringify({ stage, step, metrics: finite })}\n`);
  }

  async close(): Promise<void> {
    this.child.stdin?.end();
    await this.exited;
  }
}
