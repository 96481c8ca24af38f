import path from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { SharedBytesPool } from "../../src/rewards/shared-bytes.js";
import { decodeIds, TokenTables } from "../../src/rewards/token-table.js";
import { samplesFromScoreRequest } from "../../src/rewards/zmq.js";

type Table = { sha: string; data: string; offsets: number[] };
type Cases = Record<string, { table: Table | null; cases: { ids: number[]; text: string }[] }>;

const wire = (t: Table) => ({
  sha: t.sha,
  data: new Uint8Array(Buffer.from(t.data, "base64")),
  offsets: BigInt64Array.from(t.offsets, BigInt),
});

const packIds = (seqs: number[][]) => {
  const offsets = [0];
  for (const s of seqs) offsets.push(offsets.at(-1)! + s.length);
  return { ids: Uint32Array.from(seqs.flat()), offsets };
};

const text = (r: Uint8Array | string) => Buffer.from(r as Uint8Array).toString("utf8");

describe("token ids decoded with the trainer's token table", () => {
  let tokenizers: Cases;
  beforeAll(async () => {
    const { stdout } = await execa(
      resolvePython().executable,
      [path.join(import.meta.dirname, "fixtures", "token_table_cases.py")],
      { env: pythonEnv() },
    );
    tokenizers = JSON.parse(stdout) as Cases;
  }, 120_000);

  it.each(["tiny", "bpe"])(
    "gives exactly the %s tokenizer's decode, cut multi-byte characters, special tokens and ids past the table included",
    (name) => {
      const { table, cases } = tokenizers[name]!;
      expect(table).not.toBeNull();
      const tables = new TokenTables();
      tables.register(wire(table!));
      const { ids, offsets } = packIds(cases.map((c) => c.ids));
      const decoded = decodeIds(tables.get(table!.sha), ids, offsets, new SharedBytesPool(0)).map(text);
      expect(decoded).toEqual(cases.map((c) => c.text));
      // The cases do cut characters: some decode with U+FFFD, as the tokenizer's own decode does.
      expect(decoded.some((t) => t.includes("\uFFFD"))).toBe(true);
      const size = table!.offsets.length - 1;
      expect(cases.some((c) => c.ids.some((id) => id >= size))).toBe(true);
    },
  );

  it.each(["wordpiece", "cleanup"])(
    "is not built for a %s tokenizer, whose decode is not concatenation",
    (name) => {
      expect(tokenizers[name]!.table).toBeNull();
    },
  );

  it("reaches the scorer through a score request in token form", () => {
    const { table, cases } = tokenizers.bpe!;
    const tables = new TokenTables();
    tables.register(wire(table!));
    const seqs = cases.slice(0, 3).map((c) => c.ids);
    const { ids, offsets } = packIds(seqs);
    const samples = samplesFromScoreRequest(
      {
        vocab: table!.sha,
        response_ids: Uint16Array.from(ids),
        response_id_offsets: offsets,
        ground_truths: ["1", "2", "3"],
      },
      new SharedBytesPool(0),
      tables,
    );
    expect(samples.map((s) => text(s.response))).toEqual(cases.slice(0, 3).map((c) => c.text));
  });

  it("refuses a table that does not match its sha, an unknown table and bad offsets", () => {
    const t = wire(tokenizers.tiny!.table!);
    const tables = new TokenTables();
    expect(() => tables.register({ ...t, sha: "0".repeat(64) })).toThrow(/does not match the table/);
    expect(() => tables.register({ ...t, offsets: Float64Array.from(t.offsets, Number) })).toThrow(/int64/);
    tables.register(t);
    const request = (p: Record<string, unknown>) => () =>
      samplesFromScoreRequest(
        {
          vocab: t.sha,
          response_ids: Uint16Array.of(1, 2),
          response_id_offsets: [0, 2],
          ground_truths: ["1"],
          ...p,
        },
        new SharedBytesPool(0),
        tables,
      );
    expect(request({})).not.toThrow();
    expect(request({ vocab: "f".repeat(64) })).toThrow(
      /unknown token table f+: send a token_table request first/,
    );
    expect(request({ response_id_offsets: [0, 1] })).toThrow(/must run from 0 to 2/);
    expect(request({ response_id_offsets: [0, 2, 1, 2], ground_truths: ["1", "2", "3"] })).toThrow(
      /"response_id_offsets" must not decrease \(at 2\)/,
    );
    expect(
      request({
        response_ids: undefined,
        responses_utf8: new Uint8Array(3),
        response_offsets: [0, 3, 1, 3],
        ground_truths: ["1", "2", "3"],
      }),
    ).toThrow(/"response_offsets" must not decrease \(at 2\)/);
    expect(request({ response_ids: Int32Array.of(1, 2) })).toThrow(/uint16 or uint32/);
    expect(request({ responses: ["x"] })).toThrow(/send one of "responses", "response_ids"/);
  });
});
