import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { UserError } from "./errors.js";

/**
 * Write a file holding secrets (keys, tokens) so that no one else can read it at any moment: a fresh file in
 * the same directory, created exclusively with mode 0600 and without following a symlink, then renamed over
 * `file`. An existing file's mode is never inherited, and a symlink at `file` is replaced, not followed.
 */
export function writeSecretFile(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    // The umask can only narrow 0600, but a filesystem that ignores modes at create is set explicitly.
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot write ${file}: ${e.code ?? e.message}`);
  }
}
