import { appendFileSync } from "node:fs";

/**
 * A framework job's output as a launcher keeps it: every line appended to the run's log file and shown, and the
 * last lines of the current launch kept for its failure message (searched for known causes, a few shown).
 */
export class JobLog {
  readonly recent: string[] = [];

  constructor(
    readonly file: string,
    private readonly show: (line: string) => void,
    private readonly keep = 300,
  ) {}

  line(line: string): void {
    appendFileSync(this.file, `${line}\n`);
    this.recent.push(line);
    if (this.recent.length > this.keep) this.recent.shift();
    this.show(line);
  }

  /** A new launch (a relaunch) starts a new tail; the file goes on. */
  newLaunch(): void {
    this.recent.length = 0;
  }
}
