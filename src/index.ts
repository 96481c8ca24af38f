/** Public library API of still-rl: everything the CLI does is importable from here. */

export {
  authRequired,
  type CurveKeyPair,
  curveKeyPair,
  isLoopbackEndpoint,
  type PeerCredentials,
} from "./bridge/auth.js";
export { decodePayload, encodePayload, NdArray, type TypedArray } from "./bridge/codec.js";
export {
  BridgeError,
  CancelledError,
  DeadlineError,
  PeerLostError,
  RemoteError,
  VersionMismatchError,
} from "./bridge/errors.js";
export { PACKAGE_VERSION, PROTOCOL_VERSION } from "./bridge/protocol.js";
export {
  Bridge,
  type BridgeOptions,
  type BridgeStats,
  type CallOptions,
  type Handler,
  RemotePeer,
  type RequestContext,
} from "./bridge/server.js";
export { type SpawnPeerOptions, spawnPeer } from "./bridge/spawn.js";
export * from "./config/index.js";
export type {
  Completion,
  Engine,
  EngineInfo,
  FinishReason,
  GenerateRequest,
  KlEstimator,
  LossAggregation,
  PolicySample,
  SamplingParams,
  Sequence,
  SftOptions,
  SftSample,
  SftStats,
  UpdateOptions,
  UpdateStats,
} from "./engines/engine.js";
export { HfEngine, type HfEngineOptions, startHfEngine } from "./engines/hf.js";
export { buildTinyModel, type TinyModelOptions } from "./engines/tiny.js";
export { TINY_PRESETS, tinyPreset } from "./engines/tiny-presets.js";
export { PROMPT_TEXTS, renderPrompt, templateText } from "./prompts/templates.js";
export { type PythonInterpreter, pythonEnv, resolvePython } from "./pyenv/python.js";
export * from "./rewards/index.js";
export {
  DEFAULT_LIMITS,
  type Isolation,
  type RunOptions,
  SandboxError,
  type SandboxLimits,
  type SandboxOptions,
  SandboxPool,
  type SandboxResult,
  SandboxSession,
  type SandboxStatus,
  sandboxOptionsFromConfig,
} from "./sandbox/index.js";
export {
  type ArithmeticProblem,
  arithmeticProblems,
  DEMO_DATA_DEFAULTS,
  type DemoDataOptions,
  demoTrace,
} from "./tools/demo.js";
export { DIALECTS, type DialectName, getDialect, type ToolDialectSpec } from "./tools/dialect.js";
export { toolOptionsFromConfig } from "./tools/from-config.js";
export {
  type ExecutionOutcome,
  type ExecutionStatus,
  lastTracebackLine,
  toolOutputText,
  truncateMiddle,
} from "./tools/output.js";
export {
  type Rollout,
  runToolRollouts,
  type ToolCallRecord,
  type ToolCallStats,
  type ToolOptions,
  type ToolRunner,
  type ToolSandbox,
  toolCallStats,
} from "./tools/rollout.js";
export { UserError } from "./util/errors.js";
export {
  extractAnswerTag,
  extractBoxed,
  VerifierPool,
  type VerifierPoolOptions,
  type VerifyItem,
  type VerifyOptions,
  type VerifyResult,
  verify,
} from "./verify/index.js";
