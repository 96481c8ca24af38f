/**
 * The program the sandboxed interpreter starts with (`python -I -S -B -c BOOT SITE...`, see bootArgv). The pool
 * starts sandboxes ahead of demand, so everything about the execution arrives on stdin when it is handed over: a header line
 * (bootHeader) and then the cells' UTF-8 bytes. The program applies the rlimits from inside the new user
 * namespace (RLIMIT_NPROC is counted per user namespace and uid since Linux 5.14, so each
 * sandbox gets its own process budget instead of sharing one across the host uid), extends sys.path with the
 * environment's site-packages, reads the cells from stdin, points stdin at /dev/null, and runs the cells in one
 * namespace: every cell but the last with stdout/stderr sent to /dev/null at the file-descriptor level (stateful
 * replay), the last one normally. Tracebacks show only the snippet's frames.
 *
 * Before anything else it closes every descriptor above stderr that it inherited. Under bwrap it is the
 * sandbox's PID 1: when it exits, the kernel kills whatever the snippet left running in the namespace.
 *
 * Exit codes: the snippet's own (sys.exit), 1 for an uncaught exception, EXIT_MEMORY for MemoryError, 128+N when
 * signal N ended it.
 */
import type { SandboxLimits } from "./options.js";

export const EXIT_MEMORY = 86;

export type BootLimits = Pick<
  SandboxLimits,
  "memoryMb" | "cpuSeconds" | "maxProcesses" | "maxFileMb" | "maxOpenFiles"
>;

export const BOOT = `
import os, resource, sys
def _still_boot():
    # Whatever started this process may have left descriptors open (a secret file, a writable host file, a
    # directory handle): none of them may reach the snippet.
    os.closerange(3, 1 << 20)
    if os.getpid() == 1:
        # The sandbox's PID 1 ignores the signals it has no handler for: without one, the CPU limit would
        # only end it at the hard limit's SIGKILL.
        import _signal
        _signal.signal(_signal.SIGXCPU, lambda *_: os._exit(128 + _signal.SIGXCPU))
    sys.path.extend(sys.argv[1:])
    header = sys.stdin.buffer.readline().split()
    limits = [int(x) for x in header[:5]]
    sizes = [int(x) for x in header[5:]]
    data = sys.stdin.buffer.read()
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    for res, value in zip((resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NPROC,
                           resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE), limits):
        # CPU: SIGXCPU at the soft limit (reported as a timeout), SIGKILL a second later if it is ignored.
        resource.setrlimit(res, (value, value + 1 if res == resource.RLIMIT_CPU else value))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cells, at = [], 0
    for n in sizes:
        cells.append(data[at:at + n].decode("utf-8", "replace"))
        at += n
    del data
    sys.argv = ["<snippet>"]
    scope = {"__name__": "__main__", "__builtins__": __builtins__}
    names = ["<cell %d>" % (i + 1) for i in range(len(cells) - 1)] + ["<snippet>"]
    def run(i, src):
        exec(compile(src, names[i], "exec"), scope)
    for i, src in enumerate(cells[:-1]):
        sys.stdout.flush(); sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(null, 1); os.dup2(null, 2)
        try:
            run(i, src)
        except BaseException:
            pass
        finally:
            try:
                sys.stdout.flush(); sys.stderr.flush()
            except BaseException:
                pass
            os.dup2(saved[0], 1); os.dup2(saved[1], 2)
            os.close(saved[0]); os.close(saved[1])
    os.close(null)
    try:
        run(len(cells) - 1, cells[-1])
    except SystemExit:
        raise
    except BaseException as e:
        # Imported only now: linecache and traceback pull in re, tokenize and friends (~10 ms at startup).
        import linecache, traceback
        for name, src in zip(names, cells):
            linecache.cache[name] = (len(src), None, src.splitlines(True), name)
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename == "<string>":
            tb = tb.tb_next
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        try:
            traceback.print_exception(type(e), e, tb)
            sys.stderr.flush()
        except BaseException:
            pass
        os._exit(${EXIT_MEMORY} if isinstance(e, MemoryError) else 1)
_still_boot()
`;

/** The interpreter's arguments after its path: the boot program and the site-packages to add to sys.path. */
export function bootArgv(site: string[]): string[] {
  return ["-I", "-S", "-B", "-c", BOOT, ...site];
}

/** First stdin line: RLIMIT_AS bytes, RLIMIT_CPU s, RLIMIT_NPROC, RLIMIT_FSIZE bytes, RLIMIT_NOFILE, cell sizes. */
export function bootHeader(limits: BootLimits, cellBytes: number[]): string {
  const mib = 1 << 20;
  const values = [
    limits.memoryMb * mib,
    Math.ceil(limits.cpuSeconds),
    limits.maxProcesses,
    limits.maxFileMb * mib,
    limits.maxOpenFiles,
    ...cellBytes,
  ];
  return `${values.map((v) => String(Math.floor(v))).join(" ")}\n`;
}
