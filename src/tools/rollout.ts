/**
 * Tool-integrated rollouts over any Engine: generate until a dialect stop string closes a code block, run the
 * block in the sandbox, append the interpreter output in the dialect's bytes, continue; at most `maxCalls`
 * executions per response. Appended tokens get loss mask 0 (and log-prob 0), so the policy is trained only on
 * what it sampled. All sequences of a round go to the engine in one generate call and their code runs
 * concurrently (the sandbox pool bounds the parallelism).
 */

import type { Completion, Engine, FinishReason, SamplingParams } from "../engines/engine.js";
import { hashInts } from "../util/rng.js";
import { type DialectName, getDialect, type ToolDialectSpec } from "./dialect.js";
import { type ExecutionOutcome, type ExecutionStatus, toolOutputText } from "./output.js";

/** Runs one snippet in isolation. */
export interface ToolRunner {
  run(code: string): Promise<ExecutionOutcome>;
}

/** `SandboxPool` satisfies it; `session()` gives a runner whose calls see the definitions of earlier ones. */
export interface ToolSandbox extends ToolRunner {
  session(): ToolRunner;
}

export interface ToolOptions {
  dialect: DialectName | ToolDialectSpec;
  /** Executions per response; after the last one, generation goes on without stopping at code blocks. */
  maxCalls: number;
  /** Model-facing output length; defaults to the dialect's upstream value. */
  maxOutputChars?: number;
  /** Later blocks of a response see the definitions of its earlier blocks (one sandbox session each). */
  stateful?: boolean;
}

export interface ToolCallRecord {
  code: string;
  status: ExecutionStatus;
  /** The text the model was shown (before dialect formatting). */
  output: string;
}

/**
 * One response as the loop scores and trains on it, with or without tool execution (one shape for both, so
 * scoring, evaluation and the update batch do not care which ran).
 */
export interface Rollout {
  /** Index into the inputs the rollouts were generated for. */
  input: number;
  sample: number;
  /** Sampled and appended (tool output) tokens, in order; `params.maxNewTokens` bounds its length. */
  tokenIds: Int32Array;
  /** 1 for sampled tokens, 0 for appended tool output. */
  lossMask: Uint8Array;
  /** Sampling log-probs (0 for appended tokens); null unless `params.returnLogprobs`. */
  logprobs: Float32Array | null;
  text: string;
  finishReason: FinishReason;
  /** The tool calls in order; null when the rollout ran without tools. */
  calls: ToolCallRecord[] | null;
}

interface State {
  rollout: Rollout;
  /** `rollout.calls`, never null here. */
  calls: ToolCallRecord[];
  prompt: Int32Array;
  ids: number[];
  mask: number[];
  logprobs: number[];
  done: boolean;
  /** The sandbox, or this response's own session in stateful mode (opened at its first call). */
  runner: ToolRunner | null;
}

export async function runToolRollouts(
  engine: Engine,
  sandbox: ToolSandbox,
  inputs: Int32Array[],
  params: SamplingParams,
  options: ToolOptions,
): Promise<Rollout[]> {
  const dialect = typeof options.dialect === "string" ? getDialect(options.dialect) : options.dialect;
  if (!Number.isInteger(options.maxCalls) || options.maxCalls < 0) {
    throw new Error(`maxCalls must be a non-negative integer, got ${options.maxCalls}`);
  }
  const truncate = {
    maxChars: options.maxOutputChars ?? dialect.maxOutputChars,
    atLimit: dialect.truncateAtLimit,
  };
  const toolStops = new Set(dialect.stop);
  const stopsWithTools = [...params.stop, ...dialect.stop.filter((s) => !params.stop.includes(s))];

  const first = await engine.generate({
    inputs,
    params: { ...params, stop: options.maxCalls > 0 ? stopsWithTools : params.stop },
  });
  const states: State[] = first.map((c) => {
    const calls: ToolCallRecord[] = [];
    return {
      rollout: {
        input: c.input,
        sample: c.sample,
        tokenIds: new Int32Array(0),
        lossMask: new Uint8Array(0),
        logprobs: null,
        text: "",
        finishReason: c.finishReason,
        calls,
      },
      calls,
      prompt: inputs[c.input]!,
      ids: [],
      mask: [],
      logprobs: [],
      done: false,
      runner: null,
    };
  });
  let pending: [State, Completion][] = states.map((s, i) => [s, first[i]!]);

  for (let round = 1; pending.length > 0; round++) {
    const toRun: { state: State; code: string }[] = [];
    const toContinue: State[] = [];
    const atToolStop = pending.map(
      ([, c]) =>
        c.finishReason === "stop" &&
        c.stopString !== null &&
        toolStops.has(c.stopString) &&
        !params.stop.includes(c.stopString),
    );
    // The engine cuts `text` right after the stop string, but the last token may carry a few more characters:
    // a sequence that goes on continues from its tokens, so its text must be theirs.
    const stoppedIds = pending.filter((_, i) => atToolStop[i]).map(([, c]) => c.tokenIds);
    const stoppedTexts = stoppedIds.length > 0 ? await engine.detokenize(stoppedIds) : [];
    for (const [i, [state, completion]] of pending.entries()) {
      const text = atToolStop[i] ? stoppedTexts.shift()! : completion.text;
      await appendSampled(engine, state, completion, text, params.maxNewTokens, atToolStop[i]!);
      if (state.done) continue;
      if (!atToolStop[i]) {
        state.done = true;
        continue;
      }
      const code = state.calls.length < options.maxCalls ? dialect.parseCall(state.rollout.text) : null;
      // A stop string that closes no python block (another language's fence), or a block past maxCalls (one
      // request serves sequences with different call counts): keep generating, execute nothing.
      if (code === null) toContinue.push(state);
      else toRun.push({ state, code });
    }

    const outputs = await Promise.all(
      toRun.map(({ state, code }) => {
        state.runner ??= options.stateful ? sandbox.session() : sandbox;
        return state.runner.run(code);
      }),
    );
    const appended = toRun.map(({ state, code }, i) => {
      const outcome = outputs[i]!;
      const output = toolOutputText(outcome, truncate);
      state.calls.push({ code, status: outcome.status, output });
      return dialect.formatOutput(output);
    });
    const appendedIds = appended.length > 0 ? await engine.tokenize(appended) : [];
    for (const [i, { state }] of toRun.entries()) {
      await appendTool(engine, state, appendedIds[i]!, appended[i]!, params.maxNewTokens);
      if (!state.done) toContinue.push(state);
    }

    if (toContinue.length === 0) break;
    const next = await engine.generate({
      inputs: toContinue.map((s) => concat(s.prompt, s.ids)),
      params: {
        ...params,
        n: 1,
        maxNewTokens: Math.max(...toContinue.map((s) => params.maxNewTokens - s.ids.length)),
        seed: roundSeed(params.seed, round),
        stop: toContinue.some((s) => s.calls.length < options.maxCalls) ? stopsWithTools : params.stop,
      },
    });
    pending = next.map((c) => [toContinue[c.input]!, c]);
  }

  return states.map((s) => {
    s.rollout.tokenIds = Int32Array.from(s.ids);
    s.rollout.lossMask = Uint8Array.from(s.mask);
    s.rollout.logprobs = params.returnLogprobs ? Float32Array.from(s.logprobs) : null;
    return s.rollout;
  });
}

/**
 * Appends a sampled segment, cut to the response budget: one request serves sequences with different budgets,
 * so a segment may overshoot its own. A response that fills its budget is done; it counts as cut off
 * ("length") unless it ended on EOS or a caller's stop string.
 */
async function appendSampled(
  engine: Engine,
  state: State,
  c: Completion,
  text: string,
  maxNewTokens: number,
  atToolStop: boolean,
): Promise<void> {
  const room = maxNewTokens - state.ids.length;
  const cut = c.tokenIds.length > room;
  const tokens = cut ? c.tokenIds.subarray(0, room) : c.tokenIds;
  pushTokens(state, tokens, 1, c.logprobs);
  state.rollout.text += cut ? ((await engine.detokenize([tokens]))[0] ?? "") : text;
  state.rollout.finishReason = c.finishReason;
  if (state.ids.length >= maxNewTokens) {
    state.done = true;
    if (cut || atToolStop) state.rollout.finishReason = "length";
  }
}

async function appendTool(
  engine: Engine,
  state: State,
  ids: Int32Array,
  text: string,
  maxNewTokens: number,
): Promise<void> {
  const room = maxNewTokens - state.ids.length;
  const cut = ids.length > room;
  const tokens = cut ? ids.subarray(0, room) : ids;
  pushTokens(state, tokens, 0, null);
  state.rollout.text += cut ? ((await engine.detokenize([tokens]))[0] ?? "") : text;
  if (state.ids.length >= maxNewTokens) {
    state.rollout.finishReason = "length";
    state.done = true;
  }
}

function pushTokens(state: State, tokens: Int32Array, mask: 0 | 1, logprobs: Float32Array | null): void {
  for (let i = 0; i < tokens.length; i++) {
    state.ids.push(tokens[i]!);
    state.mask.push(mask);
    state.logprobs.push(logprobs?.[i] ?? 0);
  }
}

/**
 * The sampling seed of continuation round `round` (round 0 uses the caller's seed). Hashed rather than
 * `seed + round`, which would replay the next training step's first-round randomness (callers often seed
 * step k with base + k).
 */
export function roundSeed(seed: number, round: number): number {
  return round === 0 ? seed : hashInts(seed, round);
}

function concat(a: Int32Array, b: number[]): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export interface ToolCallStats {
  responses: number;
  calls: number;
  /** Responses that made at least one call. */
  responsesWithCalls: number;
  /** Calls by how they ended. */
  byStatus: Record<ExecutionStatus, number>;
  /** Fraction of response tokens that are tool output (loss mask 0). */
  toolTokenFraction: number;
}

/** Per-batch numbers a trainer logs next to rewards. */
export function toolCallStats(rollouts: readonly Pick<Rollout, "calls" | "lossMask">[]): ToolCallStats {
  const byStatus: Record<ExecutionStatus, number> = { ok: 0, error: 0, timeout: 0, memory: 0, killed: 0 };
  let calls = 0;
  let withCalls = 0;
  let tokens = 0;
  let toolTokens = 0;
  for (const r of rollouts) {
    const made = r.calls ?? [];
    calls += made.length;
    if (made.length > 0) withCalls++;
    for (const c of made) byStatus[c.status]++;
    tokens += r.lossMask.length;
    for (const m of r.lossMask) if (m === 0) toolTokens++;
  }
  return {
    responses: rollouts.length,
    calls,
    responsesWithCalls: withCalls,
    byStatus,
    toolTokenFraction: tokens === 0 ? 0 : toolTokens / tokens,
  };
}
