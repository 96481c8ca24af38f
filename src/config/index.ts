export {
  ConfigError,
  type ConfigIssue,
  type ConfigSource,
  formatIssue,
} from "./issues.js";
export { type LoadedConfig, type LoadOptions, printConfig } from "./load.js";
export { loadConfig, resolveConfigPaths, resolveConfigText } from "./paths.js";
export * from "./schema/index.js";
