/**
 * Any OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp's server…) as an evaluation provider, through
 * `/v1/completions` (the prompt rendered with the run's template) or `/v1/chat/completions` (the question as
 * a user message; the server applies the chat template). One request per sample, so each sample has its own
 * seed and token count and a failed request costs one sample, not a batch.
 */
import { UserError } from "../util/errors.js";
import type { Generator, Unit } from "./generator.js";
import type { Generated } from "./summary.js";

export interface OpenAiOptions {
  /** e.g. http://127.0.0.1:8000 or http://127.0.0.1:8000/v1 */
  endpoint: string;
  /** Served model name; default: the first one the server lists. */
  model?: string;
  api: "completions" | "chat";
  render: (question: string) => string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Retries of a request that failed with a network error, a timeout, 429 or 5xx. */
  retries: number;
  /** First retry delay; doubles each retry, with jitter. */
  backoffMs: number;
  timeoutMs: number;
  apiKey?: string;
}

/** A request failure worth retrying (the server may recover) or not (a 4xx: the request is wrong). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export function baseUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, "");
  return trimmed.endsWith("/v1") ? trimmed : `${trimmed}/v1`;
}

async function request(url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === "TimeoutError") throw new RequestError(`timed out after ${timeoutMs} ms`, true);
    throw new RequestError(e.cause?.code ?? e.cause?.message ?? e.message, true);
  }
  const text = await res.text();
  if (!res.ok) {
    const retryable = res.status === 429 || res.status >= 500;
    throw new RequestError(`HTTP ${res.status}: ${text.slice(0, 300)}`, retryable);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError(`not JSON: ${text.slice(0, 200)}`, true);
  }
}

/** The served model names; a clear error when nothing answers at the endpoint. */
export async function listModels(endpoint: string, timeoutMs = 10_000, apiKey?: string): Promise<string[]> {
  const url = `${baseUrl(endpoint)}/models`;
  try {
    const body = (await request(url, { headers: headers(apiKey) }, timeoutMs)) as {
      data?: { id?: unknown }[];
    };
    return (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === "string");
  } catch (err) {
    throw new UserError(
      `the OpenAI-compatible server at ${endpoint} did not answer GET ${url} (${(err as Error).message}); ` +
        "is it running, and is --endpoint its address?",
    );
  }
}

function headers(apiKey: string | undefined): Record<string, string> {
  return {
    "content-type": "application/json",
    ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
  };
}

interface Choice {
  text?: string;
  message?: { content?: string | null };
  finish_reason?: string | null;
}

/** Calls `fn` until it succeeds, it fails for good, or the retries are spent. */
export async function withRetries<T>(
  fn: () => Promise<T>,
  retries: number,
  backoffMs: number,
  random: () => number = Math.random,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof RequestError) || !err.retryable || attempt >= retries) throw err;
      const delay = backoffMs * 2 ** attempt * (0.5 + random());
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export async function openAiGenerator(o: OpenAiOptions): Promise<Generator> {
  const models = await listModels(o.endpoint, o.timeoutMs, o.apiKey);
  const model = o.model ?? models[0];
  if (model === undefined)
    throw new UserError(`the server at ${o.endpoint} lists no model; name one with --model`);
  if (o.model !== undefined && models.length > 0 && !models.includes(o.model)) {
    throw new UserError(`the server at ${o.endpoint} serves ${models.join(", ")}, not ${o.model}`);
  }
  const url = `${baseUrl(o.endpoint)}/${o.api === "chat" ? "chat/completions" : "completions"}`;

  async function one(question: string, unit: Unit): Promise<Generated> {
    const d = unit.decoding;
    const body = {
      model,
      ...(o.api === "chat"
        ? { messages: [{ role: "user", content: question }] }
        : { prompt: o.render(question) }),
      max_tokens: d.maxTokens,
      temperature: d.greedy ? 0 : d.temperature,
      top_p: d.greedy ? 1 : d.topP,
      n: 1,
      seed: unit.seed,
      ...(d.stop.length > 0 ? { stop: d.stop } : {}),
    };
    try {
      const reply = await withRetries(
        () =>
          request(
            url,
            { method: "POST", headers: headers(o.apiKey), body: JSON.stringify(body) },
            o.timeoutMs,
          ),
        o.retries,
        o.backoffMs,
      );
      const r = reply as { choices?: Choice[]; usage?: { completion_tokens?: number } };
      const choice = r.choices?.[0];
      const text = o.api === "chat" ? choice?.message?.content : choice?.text;
      if (typeof text !== "string")
        throw new RequestError(`no text in the reply: ${JSON.stringify(reply).slice(0, 200)}`, false);
      return {
        response: text,
        finish: choice?.finish_reason === "length" ? "length" : "stop",
        tokens: typeof r.usage?.completion_tokens === "number" ? r.usage.completion_tokens : null,
      };
    } catch (err) {
      return { response: "", finish: "error", tokens: null, error: (err as Error).message };
    }
  }

  return {
    describe: `openai-${o.api}:${baseUrl(o.endpoint)} (${model})`,
    unitProblems: 1,
    unitSamples: 1,
    concurrency: o.concurrency,
    async generate(unit) {
      return Promise.all(
        unit.problems.map((p) => Promise.all(unit.samples.map(() => one(p.question, unit)))),
      );
    },
    async close() {},
  };
}
