import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration suites spawn Python peers and sandboxes; two cores do not take more than two at once.
    maxWorkers: 2,
  },
});
