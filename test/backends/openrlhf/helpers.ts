import path from "node:path";
import { frameworkTests } from "../../helpers/framework.js";

export const {
  python: openrlhfPython,
  runConfig,
  tinyModel,
  runFixture,
  fixtures,
} = frameworkTests({
  backend: "openrlhf",
  venv: ".venv-openrlhf",
  setup: "setup:openrlhf",
  fixtures: path.join(import.meta.dirname, "fixtures"),
});
