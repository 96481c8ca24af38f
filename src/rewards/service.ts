import { Bridge } from "../bridge/server.js";
import { writeSecretFile } from "../util/secret-file.js";
import { type HttpRewardServer, type HttpServerOptions, startHttpRewardServer } from "./http.js";
import type { RewardPlan } from "./plan.js";
import { RewardScorer } from "./scorer.js";
import { TokenTables } from "./token-table.js";
import { scoreHandler } from "./zmq.js";

/**
 * `still reward serve`: one scorer behind OpenRLHF's HTTP contract and, optionally, the bridge's ZeroMQ
 * `score` requests. SIGTERM/SIGINT stop intake, let in-flight requests finish, then close the workers.
 */

export interface ServeOptions {
  http?: HttpServerOptions | false;
  /**
   * `peerEnvFile`: write there (mode 0600, atomically, never through a symlink) the environment a reward worker on another host needs: the
   * endpoint and, on an authenticated bind, the run's CURVE keys.
   */
  zmq?: { endpoint: string; requireAuth?: boolean; peerEnvFile?: string };
  threads?: number;
  /** Handle SIGTERM and SIGINT (default true). */
  signals?: boolean;
  log?: (line: string) => void;
}

export interface RewardService {
  scorer: RewardScorer;
  http?: HttpRewardServer;
  bridge?: Bridge;
  /** Graceful stop; resolves when everything is closed. */
  stop(): Promise<void>;
  /** Resolves once stopped (by `stop()` or a signal). */
  stopped: Promise<void>;
}

export async function serveRewards(plan: RewardPlan, opts: ServeOptions = {}): Promise<RewardService> {
  const log = opts.log ?? (() => {});
  const scorer = await RewardScorer.start(plan, opts.threads !== undefined ? { threads: opts.threads } : {});
  let http: HttpRewardServer | undefined;
  let stopping: Promise<void> | undefined;
  let bridge: Bridge | undefined;
  let zmqInFlight = 0;
  let zmqDrained: (() => void) | undefined;
  try {
    if (opts.http !== false) {
      http = await startHttpRewardServer(scorer, opts.http ?? {});
      log(
        `reward service: HTTP ${http.url}/get_reward (OpenRLHF --reward.remote_url), health ${http.url}/health`,
      );
      if (http.authenticated) log("reward service: HTTP requests must send Authorization: Bearer <token>");
    }
    if (opts.zmq) {
      bridge = await Bridge.bind({
        endpoint: opts.zmq.endpoint,
        ...(opts.zmq.requireAuth !== undefined && { requireAuth: opts.zmq.requireAuth }),
      });
      const tables = new TokenTables();
      const handle = scoreHandler(scorer, tables);
      bridge.handle("token_table", (payload) => tables.register(payload));
      bridge.handle("score", async (payload, ctx) => {
        if (stopping !== undefined) throw new Error("the reward service is shutting down");
        zmqInFlight++;
        try {
          return await handle(payload, ctx);
        } finally {
          if (--zmqInFlight === 0) zmqDrained?.();
        }
      });
      log(`reward service: ZeroMQ ${bridge.endpoint} (bridge request "score")`);
      if (opts.zmq.peerEnvFile !== undefined) {
        const { STILL_BRIDGE_NAME: _perWorker, ...env } = bridge.peerEnv({ role: "reward", name: "" });
        const lines = Object.entries(env).map(([k, v]) => `${k}=${v}\n`);
        writeSecretFile(opts.zmq.peerEnvFile, lines.join(""));
        log(`reward service: reward workers' environment in ${opts.zmq.peerEnvFile}`);
      }
    }
  } catch (err) {
    await http?.close();
    await bridge?.close();
    await scorer.close();
    throw err;
  }

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  const onSignal = (sig: NodeJS.Signals) => {
    log(`reward service: ${sig}, finishing in-flight requests`);
    // A signal handler has no caller to reject to: a failed close is logged, and the service still ends.
    stop().catch((err: unknown) => {
      log(`reward service: error while stopping: ${err instanceof Error ? err.message : String(err)}`);
      resolveStopped();
    });
  };
  const stop = () => {
    stopping ??= (async () => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      // Stop intake everywhere first, then wait for what is in flight.
      const httpClosed = http?.close();
      if (zmqInFlight > 0) await new Promise<void>((r) => (zmqDrained = r));
      await httpClosed;
      await bridge?.close();
      await scorer.close();
      log("reward service: stopped");
      resolveStopped();
    })();
    return stopping;
  };
  if (opts.signals !== false) {
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }
  return { scorer, http, bridge, stop, stopped };
}
