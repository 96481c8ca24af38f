import { existsSync } from "node:fs";

/** A framework venv the suite needs; `npm test` builds each one first, so a missing one is a failure, not a skip. */
export function requireVenv(python: string, script: string): void {
  if (!existsSync(python)) throw new Error(`${python} is missing: run \`npm run ${script}\` (npm test does)`);
}
