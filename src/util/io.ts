import { writeFileSync } from "node:fs";
import { UserError } from "./errors.js";

/** An I/O error in a few words: the code and what it means (`ENOSPC (no space left on the device)`). */
export function ioReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOSPC: "no space left on the device",
    EISDIR: "it is a directory",
    EACCES: "permission denied",
    ENOENT: "no such file or directory",
    ENOTDIR: "a parent is not a directory",
    EROFS: "read-only file system",
  };
  if (e?.code === undefined) return String(e?.message ?? err).split("\n")[0] ?? "";
  return `${e.code} (${why[e.code] ?? e.message.split("\n")[0]})`;
}

/** Write an output file the user named; failing (a full disk, a directory) is a one-line UserError. */
export function writeOutputFile(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new UserError(`cannot write ${file}: ${ioReason(err)}`);
  }
}
