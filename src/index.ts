/** Public library API of still-rl: everything the CLI does is importable from here. */

export * from "./config/index.js";
export { PROMPT_TEXTS, renderPrompt, templateText } from "./prompts/templates.js";
export { type PythonInterpreter, pythonEnv, resolvePython } from "./pyenv/python.js";
export { UserError } from "./util/errors.js";
