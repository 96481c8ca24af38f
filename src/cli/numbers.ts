import { UserError } from "../util/errors.js";

/** What a numeric CLI option accepts. */
export interface NumberRule {
  describe: string;
  integer?: boolean;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
}

/**
 * A yargs number option that rejects what is not a number in range (`--port abc`, `--threads 0`,
 * `--max-body-mb -1`) with one line naming the option, instead of passing NaN on to the library. A default
 * is spread in beside it (`{ ...numberOption(...), default: 5 }`) so yargs types the option as always set.
 */
export function numberOption(name: string, rule: NumberRule) {
  return {
    type: "number" as const,
    describe: rule.describe,
    coerce: (value: unknown): number => checkNumber(name, value, rule),
  };
}

export function checkNumber(name: string, value: unknown, rule: Omit<NumberRule, "describe">): number {
  const expected = describeRule(rule);
  if (Array.isArray(value)) throw new UserError(`--${name} was given ${value.length} times; give it once`);
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new UserError(
      `--${name}: expected ${expected}, got ${value === undefined ? "nothing" : "not a number"}`,
    );
  }
  const ok =
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) throw new UserError(`--${name}: expected ${expected}, got ${value}`);
  return value;
}

function describeRule(rule: Omit<NumberRule, "describe">): string {
  const what = rule.integer ? "an integer" : "a number";
  if (rule.min !== undefined && rule.max !== undefined) return `${what} from ${rule.min} to ${rule.max}`;
  if (rule.min !== undefined) return `${what} >= ${rule.min}`;
  if (rule.max !== undefined) return `${what} <= ${rule.max}`;
  return what;
}
