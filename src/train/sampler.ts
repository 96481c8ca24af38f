import { deriveSeed, permutation } from "../util/rng.js";

/**
 * Deterministic, resumable data order: epoch `e` visits the dataset in the permutation drawn from
 * (seed, e) (or in file order when not shuffling), and batches are consecutive slices of that order that may
 * straddle an epoch boundary. The state is two integers, saved in every checkpoint, so a restarted run
 * continues with exactly the batches an uninterrupted one would have drawn.
 */

export interface SamplerState {
  epoch: number;
  /** Position inside the epoch's order of the next item to draw. */
  cursor: number;
}

export interface SamplerOptions {
  size: number;
  seed: number;
  shuffle: boolean;
}

export interface Draw {
  /** Dataset indices of the batch, in order. */
  indices: number[];
  /** Epoch of each index (an epoch boundary can fall inside a batch). */
  epochs: number[];
  next: SamplerState;
}

export const INITIAL_SAMPLER_STATE: SamplerState = { epoch: 0, cursor: 0 };

export function epochOrder(epoch: number, opts: SamplerOptions): number[] {
  if (!opts.shuffle) return Array.from({ length: opts.size }, (_, i) => i);
  return permutation(opts.size, deriveSeed(opts.seed, "shuffle", epoch));
}

/** The next `count` items after `state`. */
export function drawBatch(state: SamplerState, count: number, opts: SamplerOptions): Draw {
  if (opts.size <= 0) throw new Error("cannot sample from an empty dataset");
  if (state.cursor < 0 || state.cursor >= opts.size) {
    throw new Error(`sampler cursor ${state.cursor} outside a dataset of ${opts.size}`);
  }
  const indices: number[] = [];
  const epochs: number[] = [];
  let { epoch, cursor } = state;
  let order = epochOrder(epoch, opts);
  while (indices.length < count) {
    indices.push(order[cursor]!);
    epochs.push(epoch);
    cursor += 1;
    if (cursor === opts.size) {
      epoch += 1;
      cursor = 0;
      order = epochOrder(epoch, opts);
    }
  }
  return { indices, epochs, next: { epoch, cursor } };
}
