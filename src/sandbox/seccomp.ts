/**
 * A seccomp filter for bwrap's `--seccomp FD`: a classic-BPF program that denies (EPERM) the syscalls a Python
 * snippet never needs and that widen the kernel surface or let one sandboxed process inspect another: ptrace,
 * process_vm_*, pidfd_getfd and kcmp, io_uring, bpf, perf_event_open, userfaultfd, keyrings, module and kexec
 * loading, the mount API, namespace changes. Most of them already fail without capabilities; the filter makes
 * that independent of kernel bugs.
 *
 * It also denies the kinds of memory that no per-process limit sees (the sandbox has no memory cgroup: its
 * memory is bounded by RLIMIT_AS per process and a watchdog over the resident memory of all its processes):
 * memfds (memfd_create, memfd_secret), SysV shared memory, semaphores and message queues, POSIX message queues,
 * and shared anonymous mappings (mmap with MAP_SHARED | MAP_ANONYMOUS), whose pages, once written by a child
 * that exits, stay allocated while no process counts them as resident. Shared memory that remains is bounded:
 * files in the size-capped tmpfs mounts (/dev/shm, the work dir); /dev/zero, whose shared mappings are
 * anonymous memory too, is /dev/full in the sandbox (it reads as zeros and cannot be mapped). Socket buffers
 * stay at the host's default size (raising SO_SNDBUF/SO_RCVBUF is denied), so the watchdog can count each
 * socket at that size. The i386 ABI (int 0x80) kills the process and x32 calls are denied, so the table cannot be
 * sidestepped through another syscall numbering. x86_64 only: elsewhere
 * the sandbox runs without a filter (namespaces, no capabilities and rlimits still apply).
 */

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;
const NR_MMAP = 9;
const NR_SETSOCKOPT = 54;
const SOL_SOCKET = 1;
/** SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE. */
const SOCKET_BUFFER_OPTIONS = [7, 8, 32, 33];
/** MAP_SHARED (also set in MAP_SHARED_VALIDATE) | MAP_ANONYMOUS. */
const MAP_SHARED_ANONYMOUS = 0x01 | 0x20;
/** Offset of the low 32 bits of args[i] in struct seccomp_data, little-endian. */
const argLow = (i: number) => 16 + 8 * i;

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_RET_K = 0x06;
const BPF_ALU_AND_K = 0x54;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const RET_KILL_PROCESS = 0x80000000;

/** x86_64 syscall numbers denied inside the sandbox. */
export const DENIED_SYSCALLS_X86_64: Record<string, number> = {
  ptrace: 101,
  syslog: 103,
  personality: 135,
  pivot_root: 155,
  adjtimex: 159,
  chroot: 161,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  init_module: 175,
  delete_module: 176,
  quotactl: 179,
  lookup_dcookie: 212,
  clock_settime: 227,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  fanotify_init: 300,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  kcmp: 312,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  pidfd_getfd: 438,
  mount_setattr: 442,
  // Memory no limit accounts for (see above).
  shmget: 29,
  shmat: 30,
  shmctl: 31,
  semget: 64,
  semop: 65,
  semctl: 66,
  shmdt: 67,
  msgget: 68,
  msgsnd: 69,
  msgrcv: 70,
  msgctl: 71,
  semtimedop: 220,
  mq_open: 240,
  mq_unlink: 241,
  mq_timedsend: 242,
  mq_timedreceive: 243,
  mq_notify: 244,
  mq_getsetattr: 245,
  memfd_create: 319,
  memfd_secret: 447,
};

function insn(code: number, jt: number, jf: number, k: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(code, 0);
  b.writeUInt8(jt, 2);
  b.writeUInt8(jf, 3);
  b.writeUInt32LE(k >>> 0, 4);
  return b;
}

/** The filter as bwrap reads it (struct sock_filter[]), or null where there is none for this architecture. */
export function seccompProgram(arch: string = process.arch): Buffer | null {
  if (arch !== "x64") return null;
  const denied = Object.values(DENIED_SYSCALLS_X86_64);
  const n = denied.length;
  const [sndbuf, rcvbuf, sndforce, rcvforce] = SOCKET_BUFFER_OPTIONS as [number, number, number, number];
  // Layout: 0 ld arch; 1 jeq x86_64; 2 kill; 3 ld nr; 4 jge x32 -> deny; 5 jeq mmap -> flags check;
  // 6 jeq setsockopt -> option check; 7..7+n-1 jeq nr -> deny; allow; deny (8+n);
  // flags check (9+n): ld flags; and; jeq shared anonymous; deny; allow;
  // option check (14+n): ld level; jeq SOL_SOCKET; ld optname; jeq each buffer option -> deny; allow; deny.
  const program = [
    insn(BPF_LD_W_ABS, 0, 0, 4),
    insn(BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
    insn(BPF_RET_K, 0, 0, RET_KILL_PROCESS),
    insn(BPF_LD_W_ABS, 0, 0, 0),
    // Jump back is impossible in BPF, so the x32 case goes forward to the deny instruction instead of kill.
    insn(BPF_JGE_K, n + 3, 0, X32_SYSCALL_BIT),
    insn(BPF_JEQ_K, n + 3, 0, NR_MMAP),
    insn(BPF_JEQ_K, n + 7, 0, NR_SETSOCKOPT),
    ...denied.map((nr, i) => insn(BPF_JEQ_K, n - i, 0, nr)),
    insn(BPF_RET_K, 0, 0, RET_ALLOW),
    insn(BPF_RET_K, 0, 0, RET_ERRNO | EPERM),
    insn(BPF_LD_W_ABS, 0, 0, argLow(3)),
    insn(BPF_ALU_AND_K, 0, 0, MAP_SHARED_ANONYMOUS),
    insn(BPF_JEQ_K, 0, 1, MAP_SHARED_ANONYMOUS),
    insn(BPF_RET_K, 0, 0, RET_ERRNO | EPERM),
    insn(BPF_RET_K, 0, 0, RET_ALLOW),
    insn(BPF_LD_W_ABS, 0, 0, argLow(1)),
    insn(BPF_JEQ_K, 0, 5, SOL_SOCKET),
    insn(BPF_LD_W_ABS, 0, 0, argLow(2)),
    insn(BPF_JEQ_K, 4, 0, sndbuf),
    insn(BPF_JEQ_K, 3, 0, rcvbuf),
    insn(BPF_JEQ_K, 2, 0, sndforce),
    insn(BPF_JEQ_K, 1, 0, rcvforce),
    insn(BPF_RET_K, 0, 0, RET_ALLOW),
    insn(BPF_RET_K, 0, 0, RET_ERRNO | EPERM),
  ];
  return Buffer.concat(program);
}
