export {
  ConfigError,
  type ConfigIssue,
  type ConfigSource,
  formatIssue,
} from "./issues.js";
export { type LoadedConfig, type LoadOptions, loadConfig, printConfig, resolveConfigText } from "./load.js";
export * from "./schema/index.js";
