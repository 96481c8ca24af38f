/**
 * Rows from wherever training data lives: a JSONL or Parquet file, or a Hugging Face `datasets` folder (what
 * `save_to_disk` writes: Arrow stream shards listed in state.json, one folder per split under a
 * dataset_dict.json), or a folder of JSONL/Parquet files (a downloaded dataset repository).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import * as arrow from "apache-arrow";
import { UserError } from "../util/errors.js";
import { readRows } from "./dataset.js";
import { type Row, tableRows } from "./parquet.js";

export function readSource(source: string, split = "train"): Row[] {
  if (!existsSync(source)) throw new UserError(`no such file or folder: ${source}`);
  if (!statSync(source).isDirectory()) return readRows(source);
  const dict = path.join(source, "dataset_dict.json");
  if (existsSync(dict)) {
    const { splits } = JSON.parse(readFileSync(dict, "utf8")) as { splits: string[] };
    if (!splits.includes(split)) {
      throw new UserError(
        `${source}: no split "${split}" (splits: ${splits.join(", ")}); choose one with --split`,
      );
    }
    return readSaved(path.join(source, split));
  }
  if (existsSync(path.join(source, "state.json"))) return readSaved(source);
  const files = listData(source);
  if (files.length === 0)
    throw new UserError(`${source}: no datasets folder and no .jsonl/.parquet files in it`);
  return files.flatMap((f) => readRows(f));
}

function readSaved(dir: string): Row[] {
  const state = JSON.parse(readFileSync(path.join(dir, "state.json"), "utf8")) as {
    _data_files: { filename: string }[];
  };
  return state._data_files.flatMap(({ filename }) => {
    const file = path.join(dir, filename);
    try {
      return tableRows(arrow.tableFromIPC(readFileSync(file)));
    } catch (err) {
      throw new UserError(`${file}: not a readable Arrow file (${(err as Error).message})`);
    }
  });
}

function listData(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(jsonl|parquet)$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}
