import { fileURLToPath } from "node:url";

/** Root of the installed still-rl package (holds `python/`, `configs/`), whether run from `src/` or `dist/`. */
export const packageRoot = fileURLToPath(new URL("../../", import.meta.url));
