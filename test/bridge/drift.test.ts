import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { KL_ESTIMATORS, LOSS_AGGREGATIONS } from "../../src/algorithms/losses.js";
import * as protocol from "../../src/bridge/protocol.js";
import * as engineOptions from "../../src/engines/options.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";

/** The zod schemas in the form python/still_rl/bridge/protocol.py describe() prints. */
function describeZod() {
  const typeName = (t: z.ZodType): string => {
    const def = t.def as { type: string; format?: string; element?: z.ZodType };
    if (def.type === "number" && def.format === "safeint") return "int";
    if (def.type === "string" || def.type === "enum") return "str";
    if (def.type === "array") return `list[${typeName(def.element!)}]`;
    throw new Error(`no Python mirror for zod type ${def.type}`);
  };
  const schemas: Record<string, z.ZodObject> = {
    Envelope: protocol.Envelope,
    Hello: protocol.Hello,
    Welcome: protocol.Welcome,
    ErrorBody: protocol.ErrorBody,
    Cancel: protocol.Cancel,
    Heartbeat: protocol.Heartbeat,
    Bye: protocol.Bye,
  };
  const messages: Record<string, Record<string, string>> = {};
  const enums: Record<string, string[]> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    messages[name] = {};
    for (const [field, t] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      messages[name][field] = typeName(t);
      if (t instanceof z.ZodEnum) enums[`${name}.${field}`] = t.options as string[];
    }
  }
  const controlPayloads = Object.fromEntries(
    Object.entries(protocol.CONTROL_PAYLOADS).map(([kind, schema]) => [
      kind,
      Object.entries(schemas).find(([, s]) => s === schema)![0],
    ]),
  );
  return {
    version: protocol.PROTOCOL_VERSION,
    kinds: [...protocol.KINDS],
    errorCodes: [...protocol.ERROR_CODES],
    dtypes: [...protocol.DTYPES],
    ndarrayExt: protocol.NDARRAY_EXT,
    outOfBandBytes: protocol.OUT_OF_BAND_BYTES,
    controlPayloads,
    enums,
    messages,
  };
}

describe("protocol mirrors", () => {
  it("the Python dataclasses match the zod schemas", async () => {
    const script =
      "import json; from still_rl.bridge.protocol import describe; print(json.dumps(describe()))";
    const { stdout } = await execa(resolvePython().executable, ["-c", script], { env: pythonEnv() });
    expect(JSON.parse(stdout)).toEqual(describeZod());
  });

  it("a field added on the Python side only is caught", async () => {
    const script = [
      "import dataclasses, json",
      "from still_rl.bridge import protocol as p",
      "fields = [(f.name, f.type) for f in dataclasses.fields(p.Hello)] + [('gpu', 'str')]",
      "p.CONTROL_PAYLOADS['hello'] = dataclasses.make_dataclass('Hello', fields)",
      "print(json.dumps(p.describe()))",
    ].join("\n");
    const { stdout } = await execa(resolvePython().executable, ["-c", script], { env: pythonEnv() });
    const python = JSON.parse(stdout);
    expect(python.messages.Hello.gpu).toBe("str");
    expect(python).not.toEqual(describeZod());
  });
});

/** The engine's option schemas in the form python/still_rl/engines/hf/options.py describe() prints. */
function describeEngineZod() {
  const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const typeName = (t: z.ZodType): string => {
    const def = t.def as { type: string; format?: string; element?: z.ZodType; innerType?: z.ZodType };
    if (def.type === "optional") return typeName(def.innerType!);
    if (def.type === "number") return def.format === "safeint" ? "int" : "float";
    if (def.type === "boolean") return "bool";
    if (def.type === "string" || def.type === "enum") return "str";
    if (def.type === "array") return `list[${typeName(def.element!)}]`;
    throw new Error(`no Python mirror for zod type ${def.type}`);
  };
  return {
    payloads: Object.fromEntries(
      Object.entries(engineOptions.ENGINE_PAYLOADS).map(([name, schema]) => [
        name,
        Object.fromEntries(
          Object.entries(schema.shape as Record<string, z.ZodType>).map(([field, t]) => [
            snake(field),
            typeName(t),
          ]),
        ),
      ]),
    ),
    klEstimators: [...KL_ESTIMATORS],
    lossAggregations: [...LOSS_AGGREGATIONS],
  };
}

describe("engine payload mirrors", () => {
  it("the Python option dataclasses and loss registries match the zod schemas", async () => {
    const script =
      "import json; from still_rl.engines.hf.options import describe; print(json.dumps(describe()))";
    const { stdout } = await execa(resolvePython().executable, ["-c", script], { env: pythonEnv() });
    const python = JSON.parse(stdout) as {
      payloads: Record<string, Record<string, { type: string; default: boolean }>>;
      klEstimators: string[];
      lossAggregations: string[];
    };
    const want = describeEngineZod();
    const types = Object.fromEntries(
      Object.entries(python.payloads).map(([name, fields]) => [
        name,
        Object.fromEntries(Object.entries(fields).map(([f, d]) => [f, d.type])),
      ]),
    );
    expect({ ...python, payloads: types }).toEqual(want);
    // A field TS may leave out must have a default on the Python side.
    for (const [name, schema] of Object.entries(engineOptions.ENGINE_PAYLOADS)) {
      for (const [field, t] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        if (t instanceof z.ZodOptional) {
          const snake = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
          expect(python.payloads[name]![snake]!.default, `${name}.${field}`).toBe(true);
        }
      }
    }
  });
});
