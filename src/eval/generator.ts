/**
 * Where evaluation responses come from: one interface, two providers (the built-in HF engine, with or
 * without tool execution, and any OpenAI-compatible server, in src/eval/openai.ts).
 */
import type { Engine } from "../engines/engine.js";
import type { EvalSampling } from "../train/evaluate.js";
import { generateRollouts, type RolloutTools } from "../train/rollouts.js";
import type { Generated } from "./summary.js";

export interface EvalProblem {
  benchmark: string;
  /** Index in the benchmark file. */
  index: number;
  id: string;
  question: string;
  gold: string;
}

/** How a benchmark is sampled: the training loop's evaluation settings, less the seed (a unit's place sets it). */
export type Decoding = Omit<EvalSampling, "seed">;

/** A piece of work generated in one go. Its seed depends only on its place, so a rerun draws the same. */
export interface Unit {
  problems: EvalProblem[];
  samples: number[];
  decoding: Decoding;
  /** Run the model's code in the sandbox (tool-integrated evaluation). */
  tools: boolean;
  seed: number;
}

export interface Generator {
  /** Shown in summary.json, e.g. "hf:/path/to/model" or "openai-chat:http://host/v1 (model)". */
  readonly describe: string;
  /**
   * How work is cut: problems per unit and whether a unit holds all samples of its problems ("all") or one
   * sample (1). Fixed per provider, so a resumed run cuts the same units.
   */
  readonly unitProblems: number;
  readonly unitSamples: "all" | 1;
  /** Units in flight at once. */
  readonly concurrency: number;
  /** Responses for every (problem, sample) of the unit, as [problem][sample]. */
  generate(unit: Unit): Promise<Generated[][]>;
  close(): Promise<void>;
}

export interface HfGeneratorOptions {
  engine: Engine;
  describe: string;
  /** The prompt the model sees for a question (the run's prompt template). */
  render: (question: string) => string;
  /** Sandbox and tool options when tools are enabled. */
  tools: RolloutTools | null;
  /** Problems per engine call. */
  batchSize: number;
  /** Stops the engine (and sandbox) the caller started. */
  close: () => Promise<void>;
}

/** The built-in HF engine: a batch of problems, all their samples, in one generate call. */
export function hfGenerator(o: HfGeneratorOptions): Generator {
  return {
    describe: o.describe,
    unitProblems: o.batchSize,
    unitSamples: "all",
    concurrency: 1,
    async generate(unit) {
      const d = unit.decoding;
      const inputs = await o.engine.tokenize(unit.problems.map((p) => o.render(p.question)));
      const rollouts = await generateRollouts(o.engine, unit.tools ? o.tools : null, inputs, {
        n: unit.samples.length,
        temperature: d.greedy ? 0 : d.temperature,
        topP: d.greedy ? 1 : d.topP,
        topK: 0,
        maxNewTokens: d.maxTokens,
        stop: d.stop,
        seed: unit.seed,
        returnLogprobs: false,
      });
      const out: Generated[][] = unit.problems.map(() => []);
      for (const r of rollouts) {
        out[r.input]![r.sample] = {
          response: r.text,
          finish: r.finishReason,
          tokens: r.tokenIds.length,
          ...(r.calls === null ? {} : { toolCalls: r.calls.length }),
        };
      }
      return out;
    },
    close: o.close,
  };
}
