/**
 * The built-in Hugging Face engine: `python -m still_rl.engines.hf` as a bridge peer, behind the `Engine`
 * interface. Token ids, masks and log-probs cross the bridge as typed arrays; every reply is validated here, so a
 * peer that answers nonsense is an error naming the operation, not a crash further down the trainer.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { Bridge, type RemotePeer } from "../bridge/server.js";
import { spawnPeer } from "../bridge/spawn.js";
import type {
  Completion,
  Engine,
  EngineInfo,
  GenerateRequest,
  PolicySample,
  Sequence,
  SftSample,
  SftStats,
  UpdateStats,
} from "./engine.js";
import { SamplingParams, SftOptions, UpdateOptions } from "./options.js";

export interface HfEngineOptions {
  /** Hugging Face model directory (nothing is downloaded: the engine runs with HF_HUB_OFFLINE=1). */
  model: string;
  /** "auto" (CUDA when present, else CPU), "cpu", "cuda" or "cuda:N". Default "auto". */
  device?: string;
  /** Weights and optimizer state; "auto" (default): float32 on CPU, bfloat16 on CUDA. */
  dtype?: "auto" | "float32" | "bfloat16" | "float16";
  /** Tokenizer directory when it is not the model's. */
  tokenizer?: string;
  /** Let transformers run model code shipped with the checkpoint. */
  trustRemoteCode?: boolean;
  /** Recompute activations in the backward pass (less memory, more time). */
  gradientCheckpointing?: boolean;
  /** torch CPU threads; default half the cores. */
  threads?: number;
  /** Rows per forward pass when scoring and training (bounds activation memory); default all at once. */
  microBatchSize?: number;
  /** Bridge to attach to; by default the engine binds its own on loopback and closes it on shutdown. */
  bridge?: Bridge;
  /** Peer name (default `engine-hf-<n>`). */
  name?: string;
  /** Python interpreter (`$STILL_PYTHON` still wins, see resolvePython). */
  python?: string;
  /** Time to start Python, load the model and shake hands. Default 10 minutes (large models load slowly). */
  startTimeoutMs?: number;
  /** Deadline of each operation. Default 1 hour. */
  requestTimeoutMs?: number;
  /** Every line the engine process prints (logs, warnings). */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
}

const int32s = z.instanceof(Int32Array);
const float32s = z.instanceof(Float32Array);

const InfoReply = z.object({
  engine: z.string(),
  model: z.string(),
  device: z.string(),
  dtype: z.string(),
  vocabSize: z.int(),
  eosTokenId: z.int(),
  padTokenId: z.int(),
});
const TokenizeReply = z.object({ ids: z.array(int32s) });
const DetokenizeReply = z.object({ texts: z.array(z.string()) });
const GenerateReply = z.object({
  completions: z.array(
    z.object({
      input: z.int(),
      sample: z.int(),
      tokenIds: int32s,
      text: z.string(),
      finishReason: z.enum(["stop", "length"]),
      stopString: z.string().nullable(),
      logprobs: float32s.nullable(),
    }),
  ),
});
const LogprobsReply = z.object({ logprobs: z.array(float32s) });
const UpdateReply = z.object({
  loss: z.number(),
  pgLoss: z.number(),
  kl: z.number(),
  entropy: z.number(),
  gradNorm: z.number(),
  clipFraction: z.number(),
  steps: z.int(),
});
const SftReply = z.object({ loss: z.number(), gradNorm: z.number(), tokens: z.int() });
const Empty = z.object({});

let counter = 0;

/** Options checked here, so a bad field is named before a round trip to Python. */
function options<S extends z.ZodType>(op: string, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`hf engine: bad ${op} options: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export class HfEngine implements Engine {
  private closed = false;

  constructor(
    private readonly peer: RemotePeer,
    readonly info: EngineInfo,
    private readonly requestTimeoutMs: number,
    /** Closed on shutdown when the engine made it. */
    private readonly ownedBridge: Bridge | null,
  ) {}

  /** The engine process's pid (for monitoring). */
  get pid(): number {
    return this.peer.pid;
  }

  /** Settles with the error naming exit code/signal and stderr tail when the engine process is lost. */
  get lost() {
    return this.peer.lost;
  }

  async tokenize(texts: string[]): Promise<Int32Array[]> {
    return (await this.call("tokenize", { texts }, TokenizeReply)).ids;
  }

  async detokenize(ids: Int32Array[]): Promise<string[]> {
    return (await this.call("detokenize", { ids }, DetokenizeReply)).texts;
  }

  async generate(request: GenerateRequest): Promise<Completion[]> {
    const reply = await this.call(
      "generate",
      { inputs: request.inputs, params: options("generate", SamplingParams, request.params) },
      GenerateReply,
    );
    return reply.completions;
  }

  async logprobs(
    sequences: Sequence[],
    model: "policy" | "reference",
    options: { temperature?: number } = {},
  ): Promise<Float32Array[]> {
    const payload = {
      sequences: sequences.map((s) => ({ promptIds: s.promptIds, responseIds: s.responseIds })),
      model,
      temperature: options.temperature ?? 1,
    };
    return (await this.call("logprobs", payload, LogprobsReply)).logprobs;
  }

  update(batch: PolicySample[], opts: UpdateOptions): Promise<UpdateStats> {
    const samples = batch.map((s) => ({
      promptIds: s.promptIds,
      responseIds: s.responseIds,
      lossMask: s.lossMask,
      advantages: s.advantages,
      oldLogprobs: s.oldLogprobs,
      refLogprobs: s.refLogprobs,
    }));
    return this.call(
      "update",
      { batch: samples, options: options("update", UpdateOptions, opts) },
      UpdateReply,
    );
  }

  sftStep(batch: SftSample[], opts: SftOptions): Promise<SftStats> {
    const samples = batch.map((s) => ({ promptIds: s.promptIds, responseIds: s.responseIds }));
    return this.call(
      "sft_step",
      { batch: samples, options: options("sft_step", SftOptions, opts) },
      SftReply,
    );
  }

  async save(dir: string): Promise<void> {
    await this.call("save", { dir }, Empty);
  }

  async load(dir: string): Promise<void> {
    await this.call("load", { dir }, Empty);
  }

  async resetReference(): Promise<void> {
    await this.call("reset_reference", {}, Empty);
  }

  /** Ends the engine process (bye, then SIGTERM/SIGKILL if it lingers) and the bridge it owns. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.peer.close();
    await this.ownedBridge?.close();
  }

  private async call<S extends z.ZodType>(type: string, payload: unknown, schema: S): Promise<z.output<S>> {
    if (this.closed) throw new Error(`hf engine: ${type} after shutdown`);
    const reply = await this.peer.call(type, payload, { timeoutMs: this.requestTimeoutMs });
    const parsed = schema.safeParse(reply);
    if (!parsed.success) {
      throw new Error(
        `hf engine: malformed ${type} reply from ${this.peer.label()}: ${z.prettifyError(parsed.error)}`,
      );
    }
    return parsed.data;
  }
}

/** Spawns the engine process, waits until the model is loaded and the handshake is done, and reads its info. */
export async function startHfEngine(options: HfEngineOptions): Promise<HfEngine> {
  const bridge = options.bridge ?? (await Bridge.bind());
  const owned = options.bridge ? null : bridge;
  try {
    const args = ["--model", options.model, "--device", options.device ?? "auto"];
    if (options.dtype) args.push("--dtype", options.dtype);
    if (options.threads !== undefined) args.push("--threads", String(options.threads));
    if (options.microBatchSize !== undefined) args.push("--micro-batch-size", String(options.microBatchSize));
    if (options.tokenizer) args.push("--tokenizer", options.tokenizer);
    if (options.trustRemoteCode) args.push("--trust-remote-code");
    if (options.gradientCheckpointing) args.push("--gradient-checkpointing");
    const peer = await spawnPeer(bridge, {
      module: "still_rl.engines.hf",
      args,
      role: "engine",
      name: options.name ?? `engine-hf-${counter++}-${randomBytes(6).toString("hex")}`,
      env: { HF_HUB_OFFLINE: "1" },
      python: options.python,
      readyTimeoutMs: options.startTimeoutMs ?? 600_000,
      onOutput: options.onOutput,
    });
    const timeoutMs = options.requestTimeoutMs ?? 3_600_000;
    try {
      const info = InfoReply.parse(await peer.call("info", {}, { timeoutMs: Math.min(timeoutMs, 60_000) }));
      return new HfEngine(peer, info, timeoutMs, owned);
    } catch (err) {
      await peer.close();
      throw err;
    }
  } catch (err) {
    await owned?.close();
    throw err;
  }
}
