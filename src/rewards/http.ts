import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { isLoopbackHost } from "../bridge/auth.js";
import { UserError } from "../util/errors.js";
import { timerDelay } from "../util/timers.js";
import type { RewardScorer, ScoredSample } from "./scorer.js";
import type { TokenCounter } from "./tokens.js";
import type { RewardSample } from "./types.js";

/**
 * OpenRLHF's remote reward contract over HTTP, unchanged (`--reward.remote_url http://host:port/get_reward`):
 * `POST {"query": [...], "prompts": [...], "labels": [...]}` -> `{"rewards": [...], "scores": [...],
 * "extra_logs": {...}}`. `query` is prompt + response as decoded by OpenRLHF; the response is the query with
 * its prompt prefix removed. `scores` (OpenRLHF's dynamic-filtering signal, 0–1) is the accuracy when a
 * correctness component exists, else the reward; `extra_logs` holds every component, one value per sample.
 * `GET /health` reports readiness. Bad requests get a 4xx with a JSON `error`, never a crash.
 *
 * Off loopback every request must carry `Authorization: Bearer <token>` (as the bridge requires CURVE off
 * loopback): a bind reachable from other hosts without a token is refused.
 */

export interface HttpServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Larger bodies get 413 (default 64 MiB). */
  maxBodyBytes?: number;
  /** Whole-request deadline, under OpenRLHF's 180 s client timeout so it always gets an answer (default 150 s). */
  requestDeadlineMs?: number;
  /** Bearer token every request must present; required when `host` is not a loopback address. */
  token?: string;
  /**
   * On close, connections not being scored (a client still sending its body, or stalled) get this long,
   * then are closed (default 2 s). Requests being scored finish within their deadline.
   */
  closeGraceMs?: number;
  /**
   * The run's tokenizer: responses then carry their token count and a truncation flag (no end-of-sequence
   * token at the end). Without it the count is an estimate from characters and nothing counts as truncated.
   */
  tokens?: TokenCounter;
}

/** Environment variable `still reward serve` reads the bearer token from. */
export const TOKEN_ENV = "STILL_REWARD_TOKEN";

/** Shortest accepted bearer token: long enough that guessing it over the network is hopeless. */
export const MIN_TOKEN_LENGTH = 16;

export interface HttpRewardServer {
  url: string;
  /** Whether requests must carry the bearer token. */
  authenticated: boolean;
  /** Requests being scored now. */
  readonly inFlight: number;
  /** Stop accepting, let in-flight requests finish, then resolve. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface OpenRlhfRequest {
  query: string[];
  prompts?: string[];
  labels: string[];
}

/** Validate an OpenRLHF request body and turn it into samples. */
export function samplesFromOpenRlhf(body: unknown, tokens?: TokenCounter): RewardSample[] {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(400, "expected a JSON object with query, prompts and labels");
  }
  const b = body as Record<string, unknown>;
  const strings = (key: string, required: boolean): string[] | undefined => {
    const v = b[key];
    if (v === undefined && !required) return undefined;
    if (v === undefined) {
      const hint =
        key === "labels"
          ? " (OpenRLHF before 0.6 sends only query: upgrade, or set --label_key so labels are sent)"
          : "";
      throw new HttpError(400, `missing "${key}"${hint}`);
    }
    if (!Array.isArray(v)) throw new HttpError(400, `"${key}" must be a list of strings`);
    return v.map((x, i) => {
      if (typeof x === "string") return x;
      if (key === "labels" && typeof x === "number") return String(x);
      throw new HttpError(400, `"${key}"[${i}] must be a string, got ${x === null ? "null" : typeof x}`);
    });
  };
  const query = strings("query", true)!;
  const labels = strings("labels", true)!;
  const prompts = strings("prompts", false);
  if (labels.length !== query.length || (prompts !== undefined && prompts.length !== query.length)) {
    throw new HttpError(
      400,
      `query, prompts and labels must have the same length (got ${query.length}, ${prompts?.length ?? "-"}, ${labels.length})`,
    );
  }
  return query.map((q, i) => {
    const prompt = prompts?.[i] ?? "";
    const response = prompt !== "" && q.startsWith(prompt) ? q.slice(prompt.length) : q;
    return {
      prompt,
      response,
      groundTruth: labels[i]!,
      // OpenRLHF decodes with special tokens kept: a response that stopped on its own ends with EOS.
      truncated: tokens?.eos != null && !response.endsWith(tokens.eos),
      ...(tokens !== undefined && { responseTokens: tokens.count(response) }),
      extra: {},
    };
  });
}

export function openRlhfReply(scored: ScoredSample[], hasCorrectness: boolean) {
  const keys = new Set<string>();
  for (const s of scored) for (const k of Object.keys(s.components)) keys.add(k);
  const extra_logs: Record<string, number[]> = {};
  for (const k of keys) extra_logs[k] = scored.map((s) => s.components[k] ?? 0);
  const rewards = scored.map((s) => s.reward);
  return {
    rewards,
    scores: hasCorrectness ? scored.map((s) => s.components.acc ?? 0) : rewards,
    extra_logs,
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // A client that goes away (or is cut off at shutdown) mid-body settles the request instead of leaving it open.
    req.on("close", () => {
      if (!req.complete) reject(new HttpError(400, "the client closed the connection before the body ended"));
    });
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `body of ${declared} bytes exceeds the ${limit}-byte limit`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `body exceeds the ${limit}-byte limit`));
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...(close && { connection: "close" }),
  });
  res.end(text);
}

export async function startHttpRewardServer(
  scorer: RewardScorer,
  opts: HttpServerOptions = {},
): Promise<HttpRewardServer> {
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const deadlineMs = timerDelay(opts.requestDeadlineMs ?? 150_000);
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 5000;
  if (!(Number.isSafeInteger(maxBody) && maxBody > 0)) {
    throw new UserError(`reward service: the body limit must be a positive number of bytes, got ${maxBody}`);
  }
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new UserError(`reward service: the HTTP port must be an integer from 0 to 65535, got ${port}`);
  }
  const token = opts.token;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new UserError(`reward service: the bearer token must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new UserError(
      `reward service: HTTP on ${host} is reachable from other hosts, so requests must authenticate: ` +
        `set ${TOKEN_ENV} (or --token-file) to a secret of ${MIN_TOKEN_LENGTH}+ characters; clients send ` +
        "`Authorization: Bearer <token>`",
    );
  }
  const expected = token === undefined ? undefined : createHash("sha256").update(`Bearer ${token}`).digest();
  const authorized = (req: IncomingMessage): boolean => {
    if (expected === undefined) return true;
    const given = createHash("sha256")
      .update(req.headers.authorization ?? "")
      .digest();
    return timingSafeEqual(given, expected);
  };
  const hasCorrectness = scorer.plan.builtins.some((b) => b.kind === "correctness");
  let inFlight = 0;
  let draining = false;

  /** Sockets whose request is being scored now: shutdown waits for them, not for stalled clients. */
  const scoring = new Set<Socket>();
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!authorized(req))
      throw new HttpError(401, "missing or wrong bearer token (Authorization: Bearer <token>)");
    const url = (req.url ?? "/").split("?")[0];
    if (url === "/health") {
      if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "use GET /health");
      send(res, draining ? 503 : 200, {
        status: draining ? "draining" : "ok",
        in_flight: inFlight,
        worker_restarts: scorer.restarts,
        components: [...scorer.plan.builtins.map((b) => b.name), ...scorer.userRewardNames],
      });
      return;
    }
    if (url !== "/get_reward" && url !== "/") throw new HttpError(404, `no route ${url}: POST /get_reward`);
    if (req.method !== "POST") throw new HttpError(405, "use POST with a JSON body");
    if (draining) throw new HttpError(503, "shutting down");
    inFlight++;
    try {
      const raw = await readBody(req, maxBody);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch (err) {
        throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
      }
      const samples = samplesFromOpenRlhf(body, opts.tokens);
      scoring.add(req.socket);
      try {
        const scored = await scorer.score(samples, { deadlineMs });
        send(res, 200, openRlhfReply(scored, hasCorrectness));
      } finally {
        scoring.delete(req.socket);
      }
    } finally {
      inFlight--;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (err instanceof HttpError) {
        if (err.status === 401) res.setHeader("www-authenticate", "Bearer");
        send(res, err.status, { error: err.message }, err.status === 413 || err.status === 401);
      } else send(res, 500, { error: `internal error: ${err instanceof Error ? err.message : String(err)}` });
    });
  });
  server.requestTimeout = timerDelay(deadlineMs + 30_000);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const graceMs = opts.closeGraceMs ?? 2_000;
  return {
    url: `http://${shownHost}:${addr.port}`,
    authenticated: token !== undefined,
    get inFlight() {
      return inFlight;
    },
    close: async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Replies just sent leave keep-alive connections idle: close them once the bytes are out.
      const sweep = setInterval(() => server.closeIdleConnections(), 20);
      // A client still sending its body (or stalled mid-request) would only get a 503: cut it off after the
      // grace. Requests being scored end by their deadline; past it, nothing is worth waiting for.
      const cut = setTimeout(() => {
        for (const s of sockets) if (!scoring.has(s)) s.destroy();
      }, timerDelay(graceMs));
      const force = setTimeout(() => server.closeAllConnections(), timerDelay(graceMs + deadlineMs + 5_000));
      await closed;
      clearInterval(sweep);
      clearTimeout(cut);
      clearTimeout(force);
    },
  };
}
