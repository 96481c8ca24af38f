import { describe, expect, it } from "vitest";
import { toolsSchema } from "../../src/config/index.js";
import { sandboxOptionsFromConfig } from "../../src/sandbox/index.js";
import { getDialect } from "../../src/tools/dialect.js";
import { toolOptionsFromConfig } from "../../src/tools/from-config.js";

describe("tools config -> options", () => {
  it.each(["still", "still_harness", "qwen", "retool"] as const)(
    "every config dialect %s exists",
    (dialect) => {
      const tools = toolsSchema.parse({ enabled: true, dialect });
      expect(getDialect(toolOptionsFromConfig(tools).dialect as string).name).toBe(dialect);
    },
  );

  it("maps every field", () => {
    const tools = toolsSchema.parse({
      enabled: true,
      dialect: "retool",
      max_calls: 5,
      stateful: true,
      isolation: "none",
      sandbox: {
        timeout_ms: 3000,
        cpu_seconds: 2,
        memory_mb: 512,
        max_processes: 8,
        max_file_mb: 1,
        max_output_chars: 256,
        pool_size: 3,
      },
    });
    expect(toolOptionsFromConfig(tools)).toEqual({
      dialect: "retool",
      maxCalls: 5,
      stateful: true,
      maxOutputChars: 256,
    });
    expect(sandboxOptionsFromConfig(tools)).toEqual({
      isolation: "none",
      concurrency: 3,
      timeoutMs: 3000,
      cpuSeconds: 2,
      memoryMb: 512,
      maxProcesses: 8,
      maxFileMb: 1,
    });
  });
});
