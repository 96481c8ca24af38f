/**
 * Start a Python peer process and wait for its handshake. Cleanup on every exit path of this process comes
 * from three layers: execa's `cleanup` (signal-exit: SIGKILL to the child on exit, uncaught error, SIGINT,
 * SIGTERM), the peer's own parent-death signal and parent-pid watchdog (python/still_rl/bridge/lifeline.py),
 * and `bridge.close()`, which says bye and kills after a grace period. The peer ignores SIGINT and SIGTERM:
 * its shutdown is this side's (a run stopped by a signal still checkpoints with it).
 */
import { randomBytes } from "node:crypto";
import { execa, type ResultPromise } from "execa";
import { pythonEnv, resolvePython } from "../pyenv/python.js";
import { BridgeError } from "./errors.js";
import type { Bridge, PeerProcess, RemotePeer } from "./server.js";

export interface SpawnPeerOptions {
  /** Python module run as `python -m <module>`, e.g. "still_rl.bridge.echo". */
  module: string;
  args?: string[];
  role: string;
  /** Unique peer name (default `<role>-<n>-<random hex>`). */
  name?: string;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** Interpreter from the run config; `$STILL_PYTHON` still wins (see resolvePython). */
  python?: string;
  cwd?: string;
  /** How long the peer may take to start and shake hands (default 60 s). */
  readyTimeoutMs?: number;
  /** Lines of stderr kept for error messages (default 40). */
  stderrLines?: number;
  /** Every line the peer writes, e.g. to forward its logs. */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
}

let counter = 0;

/** Keeps the last `size` lines of a stream. */
class LineTail {
  private readonly lines: string[] = [];
  private partial = "";
  constructor(
    private readonly size: number,
    private readonly onLine?: (line: string) => void,
  ) {}
  push(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) this.add(line);
  }
  end(): void {
    if (this.partial) this.add(this.partial);
    this.partial = "";
  }
  snapshot(): string[] {
    return this.partial ? [...this.lines, this.partial].slice(-this.size) : [...this.lines];
  }
  private add(line: string): void {
    this.onLine?.(line);
    this.lines.push(line.replace(/\r$/, ""));
    if (this.lines.length > this.size) this.lines.shift();
  }
}

class ChildPeerProcess implements PeerProcess {
  status: { code: number | null; signal: string | null } | null = null;
  readonly closed: Promise<void>;

  constructor(
    readonly child: ResultPromise,
    private readonly stderr: LineTail,
  ) {
    this.closed = new Promise((resolve) => {
      let exited = false;
      const finish = () => {
        this.stderr.end();
        resolve();
      };
      child.once("exit", (code, signal) => {
        exited = true;
        this.status = { code, signal };
        // stderr may still hold the last lines; 'close' follows unless a grandchild keeps the pipe open.
        setTimeout(finish, 200).unref();
      });
      child.once("close", () => {
        if (exited) finish();
      });
      child.once("error", (err) => {
        // The process could not start (e.g. no such interpreter): there is no 'exit', only this.
        if (exited) return;
        exited = true;
        this.status = { code: null, signal: null };
        this.stderr.push(`${err.message}\n`);
        finish();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  exitStatus() {
    return this.status;
  }

  stderrTail(): string[] {
    return this.stderr.snapshot();
  }

  kill(): void {
    if (!this.status) this.child.kill("SIGKILL");
  }

  async stop(graceMs: number): Promise<void> {
    if (this.status) return this.closed;
    const wait = (ms: number) =>
      Promise.race([
        this.closed.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
      ]);
    if (graceMs > 0 && (await wait(graceMs))) return;
    this.child.kill("SIGKILL");
    await this.closed;
  }
}

/**
 * Spawn `python -m <module>` as a peer of `bridge` and resolve once it has shaken hands. Rejects with a
 * PeerLostError (exit status and stderr tail) if it exits first, a VersionMismatchError if its versions differ,
 * or a BridgeError on timeout (the process is then stopped).
 */
export async function spawnPeer(bridge: Bridge, options: SpawnPeerOptions): Promise<RemotePeer> {
  // The name is how the bridge recognises the process it started; a random part keeps another local process
  // from guessing it and connecting first in its place (the default loopback bind has no keys).
  const name = options.name ?? `${options.role}-${counter++}-${randomBytes(6).toString("hex")}`;
  const python = resolvePython(options.python);
  const stderr = new LineTail(options.stderrLines ?? 40, (l) => options.onOutput?.(l, "stderr"));
  const stdout = new LineTail(1, (l) => options.onOutput?.(l, "stdout"));
  const child = execa(python.executable, ["-m", options.module, ...(options.args ?? [])], {
    env: pythonEnv({
      ...bridge.peerEnv({ role: options.role, name }, bridge.localEndpoint),
      STILL_BRIDGE_PARENT_PID: String(process.pid),
      ...options.env,
    }),
    extendEnv: false,
    cwd: options.cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
    cleanup: true,
    killSignal: "SIGKILL",
    encoding: "utf8",
  });
  const proc = new ChildPeerProcess(child, stderr);
  child.stderr?.setEncoding("utf8").on("data", (c: string) => stderr.push(c));
  child.stdout?.setEncoding("utf8").on("data", (c: string) => stdout.push(c));
  const { ready, exited } = bridge.expect(name, proc);
  void proc.closed.then(exited);
  const unregister = bridge.onClose(() => proc.stop(3000));
  void proc.closed.then(unregister);
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      bridge.unexpect(name);
      const tail = proc.stderrTail();
      reject(
        new BridgeError(
          `peer ${name} (python -m ${options.module}, pid ${proc.pid}) did not shake hands within ${timeoutMs} ms` +
            (tail.length ? `; last stderr lines:\n  ${tail.join("\n  ")}` : ""),
          "peer_lost",
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([ready, timeout]);
  } catch (err) {
    await proc.stop(0);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
