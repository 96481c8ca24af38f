/**
 * Reusable shared memory for packed batches. A fresh SharedArrayBuffer per batch is external memory that V8
 * answers with full garbage collections (most of the main thread's time at hundreds of MB/s); buffers are
 * instead kept in power-of-two size classes and handed out again once their batch is scored.
 */
export class SharedBytesPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private kept = 0;

  /** @param maxKeptBytes Buffers beyond this total are dropped on release rather than kept. */
  constructor(private readonly maxKeptBytes = 256 * 1024 * 1024) {}

  acquire(size: number): SharedArrayBuffer {
    const cls = 2 ** Math.ceil(Math.log2(Math.max(size, 4096)));
    const list = this.free.get(cls);
    const sab = list?.pop();
    if (sab !== undefined) {
      this.kept -= cls;
      return sab;
    }
    return new SharedArrayBuffer(cls);
  }

  /** Give a buffer back; the caller must not use it afterwards (a late reader only sees newer bytes). */
  release(sab: SharedArrayBuffer): void {
    if (this.kept + sab.byteLength > this.maxKeptBytes) return;
    const list = this.free.get(sab.byteLength) ?? [];
    list.push(sab);
    this.free.set(sab.byteLength, list);
    this.kept += sab.byteLength;
  }
}
