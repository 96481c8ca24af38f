import path from "node:path";
import { frameworkTests } from "../../helpers/framework.js";

export const {
  python: verlPython,
  runConfig,
  tinyModel,
  runFixture,
  fixtures,
} = frameworkTests({
  backend: "verl",
  venv: ".venv-verl",
  setup: "setup:verl",
  fixtures: path.join(import.meta.dirname, "fixtures"),
});
