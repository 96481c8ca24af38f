import { z } from "zod";
import { MAX_TIMER_MS } from "../../util/timers.js";

/** Shared field builders, so every block spells integers, probabilities and paths the same way. */

export const positiveInt = () => z.number().int().positive();
/** A deadline or timeout in milliseconds; Node timers cannot wait longer than 2^31 - 1 ms (about 24.8 days). */
export const durationMs = () => z.number().int().positive().max(MAX_TIMER_MS);
export const nonNegativeInt = () => z.number().int().nonnegative();
export const nonNegative = () => z.number().nonnegative();
export const probability = () => z.number().min(0).max(1);
/** A file or directory path as written in the YAML (resolved by whoever opens it, relative to the cwd). */
export const filePath = () => z.string().min(1);
