import { z } from "zod";

/** Shared field builders, so every block spells integers, probabilities and paths the same way. */

export const positiveInt = () => z.number().int().positive();
export const nonNegativeInt = () => z.number().int().nonnegative();
export const nonNegative = () => z.number().nonnegative();
export const probability = () => z.number().min(0).max(1);
/** A file or directory path as written in the YAML (resolved by whoever opens it, relative to the cwd). */
export const filePath = () => z.string().min(1);
