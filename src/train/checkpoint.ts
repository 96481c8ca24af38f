import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import type { Engine } from "../engines/engine.js";
import { UserError } from "../util/errors.js";
import type { SamplerState } from "./sampler.js";

/**
 * A checkpoint is `DIR/checkpoints/step_<N>/` with the engine's state (`engine/`: model, reference,
 * optimizer, RNG), `trainer.json` and `manifest.json` (the SHA-256 of every other file). It is written to a
 * temporary directory and renamed, so a crash while saving never leaves a half checkpoint that a resume
 * would pick; a failed save (a full disk) removes its temporary directory. A resume checks the manifest and
 * falls back to the newest intact checkpoint, saying which it skipped and why (a flipped bit included).
 */

export interface TrainerState {
  format: 1;
  /** Last completed RL step (0: none yet). */
  step: number;
  sampler: SamplerState;
  sft: { step: number; sampler: SamplerState; done: boolean };
  /** Wall time already spent, for the ETA and the final summary. */
  elapsedS: number;
}

interface Manifest {
  format: 1;
  /** Path relative to the checkpoint (with `/`) → SHA-256, hex. */
  files: Record<string, string>;
}

const PREFIX = "step_";
const MANIFEST = "manifest.json";
const TMP_SUFFIX = ".tmp";

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, "checkpoints");
}

function label(state: TrainerState): string {
  // SFT checkpoints sort before RL ones: sft_ < step_.
  return state.sft.done
    ? `${PREFIX}${String(state.step).padStart(6, "0")}`
    : `sft_${String(state.sft.step).padStart(6, "0")}`;
}

export async function saveCheckpoint(
  runDir: string,
  engine: Pick<Engine, "save">,
  state: TrainerState,
  keepLast: number | null,
): Promise<string> {
  const root = checkpointsDir(runDir);
  mkdirSync(root, { recursive: true });
  // Leftovers of a save that was killed: never a checkpoint, only wasted disk.
  for (const d of readdirSync(root)) {
    if (d.endsWith(TMP_SUFFIX)) rmSync(path.join(root, d), { recursive: true, force: true });
  }
  const final = path.join(root, label(state));
  const tmp = `${final}${TMP_SUFFIX}`;
  try {
    mkdirSync(tmp, { recursive: true });
    await engine.save(path.join(tmp, "engine"));
    writeFileSync(path.join(tmp, "trainer.json"), `${JSON.stringify(state, null, 2)}\n`);
    const manifest: Manifest = { format: 1, files: await hashFiles(tmp) };
    writeFileSync(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException;
    const why = e.code ?? (e.message ?? String(err)).split("\n")[0];
    throw new UserError(`cannot save checkpoint ${final}: ${why} (nothing was left behind)`);
  }
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  if (keepLast !== null) {
    for (const old of listCheckpoints(runDir).slice(0, -keepLast))
      rmSync(old, { recursive: true, force: true });
  }
  return final;
}

/** Complete checkpoints of a run (renamed into place), oldest first; `verifyCheckpoint` says if intact. */
export function listCheckpoints(runDir: string): string[] {
  const root = checkpointsDir(runDir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => /^(sft|step)_\d+$/.test(d) && existsSync(path.join(root, d, "trainer.json")))
    .sort()
    .map((d) => path.join(root, d));
}

/** Why a checkpoint cannot be trusted (a missing file, a checksum mismatch), or undefined when it is intact. */
export async function verifyCheckpoint(checkpoint: string): Promise<string | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(checkpoint, MANIFEST), "utf8")) as Manifest;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `no ${MANIFEST}` : `${MANIFEST} is unreadable`;
  }
  if (manifest?.format !== 1 || typeof manifest.files !== "object" || manifest.files === null) {
    return `${MANIFEST} is malformed`;
  }
  const entries = Object.entries(manifest.files);
  if (!entries.some(([f]) => f === "trainer.json")) return `${MANIFEST} does not list trainer.json`;
  for (const [file, expected] of entries) {
    const full = path.join(checkpoint, ...file.split("/"));
    if (path.relative(checkpoint, full).startsWith("..")) return `${MANIFEST} names a file outside it`;
    let actual: string;
    try {
      actual = await sha256(full);
    } catch {
      return `${file} is missing`;
    }
    if (actual !== expected) return `${file} does not match its checksum`;
  }
  return undefined;
}

/**
 * The newest checkpoint of a run that passes `verifyCheckpoint`; each damaged one skipped on the way is
 * reported through `log`. Throws a UserError naming every damaged one when none is intact.
 */
export async function newestIntactCheckpoint(
  runDir: string,
  log: (line: string) => void,
): Promise<string | undefined> {
  const damaged: string[] = [];
  for (const checkpoint of listCheckpoints(runDir).reverse()) {
    const problem = await verifyCheckpoint(checkpoint);
    if (problem === undefined) {
      if (damaged.length > 0) log(`resuming from ${checkpoint}, the newest intact checkpoint`);
      return checkpoint;
    }
    damaged.push(`${path.basename(checkpoint)} (${problem})`);
    log(`checkpoint ${checkpoint} is damaged: ${problem}; skipping it`);
  }
  if (damaged.length > 0) {
    throw new UserError(`no intact checkpoint in ${checkpointsDir(runDir)}: ${damaged.join(", ")}`);
  }
  return undefined;
}

export function readTrainerState(checkpoint: string): TrainerState {
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(path.join(checkpoint, "trainer.json"), "utf8")) as TrainerState;
  } catch (err) {
    throw new UserError(
      `${checkpoint}: trainer.json is unreadable (${(err as Error).message.split("\n")[0]})`,
    );
  }
  if (state?.format !== 1)
    throw new UserError(`${checkpoint}: unknown trainer state format ${String(state?.format)}`);
  return state;
}

/** SHA-256 of every file under `dir`, by relative path with `/`. */
async function hashFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
  for (const full of entries) files[path.relative(dir, full).split(path.sep).join("/")] = await sha256(full);
  return files;
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("error", reject)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")));
  });
}
