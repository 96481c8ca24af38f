import type { CliCommand } from "../command.js";
import { configCommand } from "./config.js";
import { dataCommand } from "./data.js";
import { doctorCommand } from "./doctor.js";
import { evalCommand } from "./eval.js";
import { reportCommand } from "./report.js";
import { rewardCommand } from "./reward.js";
import { sandboxCommand } from "./sandbox.js";
import { trainCommand } from "./train.js";
import { verifyCommand } from "./verify.js";

/** Every command of `still`, in the order `still --help` lists them. */
// biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
export const commands: CliCommand<any>[] = [
  configCommand,
  doctorCommand,
  rewardCommand,
  sandboxCommand,
  reportCommand,
  trainCommand,
  evalCommand,
  dataCommand,
  verifyCommand,
];
