/**
 * Bounded capture of one output stream: keeps the first and the last `limit / 2` bytes (the model is shown the
 * head and the tail of long outputs), counts everything, and decodes to text with U+FFFD for invalid UTF-8.
 */
export class HeadTailCapture {
  private readonly half: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Bytes received in total. */
  total = 0;

  constructor(limit: number) {
    this.half = Math.max(1, Math.floor(limit / 2));
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < this.half) {
      const take = Math.min(this.half - this.headBytes, chunk.length);
      this.head.push(chunk.subarray(0, take));
      this.headBytes += take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailBytes - (this.tail[0]?.length ?? 0) >= this.half) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  get truncated(): boolean {
    return this.total > this.headBytes + Math.min(this.tailBytes, this.half);
  }

  /** The kept bytes as text; when bytes were dropped, "\n...[N bytes truncated]...\n" marks the cut. */
  text(): string {
    const head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.half) tail = tail.subarray(tail.length - this.half);
    const dropped = this.total - head.length - tail.length;
    const decoder = new TextDecoder("utf-8");
    if (dropped === 0) return decoder.decode(Buffer.concat([head, tail]));
    return `${decoder.decode(head)}\n...[${dropped} bytes truncated]...\n${decoder.decode(tail)}`;
  }
}
