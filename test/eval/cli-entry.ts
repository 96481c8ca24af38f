/** `still` from source, for tests that run the CLI as a child process (to kill it mid-run). */
import { main } from "../../src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
