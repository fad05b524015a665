/**
 * The receive buffer of a stream socket: a queue of byte chunks read from the kernel.
 *
 * Reads arrive in one shared scratch buffer (Node's `onread`), so a chunk can be pushed
 * *borrowed*: readers waiting at that moment copy straight out of it (one copy, into the
 * caller's memory), and {@link RecvBuffer.adopt} then copies whatever nobody took into memory
 * the queue owns, before the scratch buffer is reused. Everything handed to a caller is either a
 * fresh copy or an owned chunk that the queue no longer references.
 */

const EMPTY = new Uint8Array(0);

export class RecvBuffer {
  /**
   * The queue: live chunks are `#chunks[#head .. #tail)`. The array is reused (slots are
   * overwritten, never truncated), so steady reading allocates no array storage.
   */
  #chunks: Uint8Array[] = [EMPTY];
  /** Index of the first live chunk in `#chunks`. */
  #head = 0;
  /** Index one past the last live chunk. */
  #tail = 0;
  /** Offset of the first live byte in the head chunk. */
  #offset = 0;
  #length = 0;
  /** Bytes consumed since the buffer was made (positions that survive other readers). */
  #consumed = 0;
  /** The borrowed chunk, if one is in the queue (always the last chunk). */
  #borrowed: Uint8Array | null = null;
  /** The borrowed chunk's memory may be handed over rather than copied (see pushBorrowed). */
  #transferable = false;
  /** A read took the borrowed chunk whole, memory and all (see takeTransferred). */
  #transferred = false;

  /** Bytes buffered. */
  get length(): number {
    return this.#length;
  }

  /**
   * Bytes consumed so far, ever: `consumed + i` names the byte now at index `i` even after
   * other reads take bytes from the front (a waiting `recvUntil` keeps its scan position so).
   */
  get consumed(): number {
    return this.#consumed;
  }

  /** Queues a chunk this buffer may keep. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#tail === this.#chunks.length) this.#chunks.push(chunk);
    else this.#chunks[this.#tail] = chunk;
    this.#tail++;
    this.#length += chunk.length;
  }

  /**
   * Queues a view of scratch memory; call {@link adopt} (or {@link keep}) before the memory is
   * reused. `transferable`: the memory is the stream's own read buffer, which a read taking the
   * whole chunk may keep instead of copying (then {@link takeTransferred} says so).
   */
  pushBorrowed(chunk: Uint8Array, transferable = false): void {
    this.push(chunk);
    if (chunk.length > 0) {
      this.#borrowed = chunk;
      this.#transferable = transferable;
    }
  }

  /** Bytes of the borrowed chunk still queued. */
  get borrowedLeft(): number {
    const borrowed = this.#borrowed;
    const last = this.#tail - 1;
    if (borrowed === null || last < this.#head || this.#chunks[last] !== borrowed) return 0;
    return last === this.#head ? borrowed.length - this.#offset : borrowed.length;
  }

  /** Keeps what is left of a transferable borrowed chunk as it is: its memory is ours now. */
  keep(): void {
    this.#borrowed = null;
  }

  /** Whether a read took the borrowed chunk's memory since the last call; clears the answer. */
  takeTransferred(): boolean {
    const transferred = this.#transferred;
    this.#transferred = false;
    return transferred;
  }

  /** Copies what is left of the borrowed chunk into owned memory. */
  adopt(): void {
    const borrowed = this.#borrowed;
    if (borrowed === null) return;
    this.#borrowed = null;
    const last = this.#tail - 1;
    if (last < this.#head || this.#chunks[last] !== borrowed) return;
    const start = last === this.#head ? this.#offset : 0;
    const owned = Buffer.allocUnsafe(borrowed.length - start);
    owned.set(borrowed.subarray(start));
    this.#chunks[last] = owned;
    if (last === this.#head) this.#offset = 0;
  }

  /** Removes and returns up to `n` bytes (fewer only if fewer are buffered). */
  read(n: number): Buffer {
    n = Math.min(n, this.#length);
    const head = this.#head < this.#tail ? this.#chunks[this.#head]! : EMPTY;
    if (n > 0 && head.length - this.#offset >= n) {
      if (head !== this.#borrowed) {
        // One owned chunk holds it all: hand out a view and drop it from the queue.
        const out = toBuffer(head).subarray(this.#offset, this.#offset + n);
        this.#consume(n);
        return out;
      }
      if (this.#transferable && this.#offset === 0 && n === head.length) {
        // The stream's own read buffer, taken whole: hand it over instead of copying it.
        this.#transferred = true;
        this.#borrowed = null;
        this.#consume(n);
        return toBuffer(head);
      }
    }
    const out = Buffer.allocUnsafe(n);
    this.#copy(out, 0, n, true);
    return out;
  }

  /** Copies up to `n` bytes into `target` at `offset`, consuming them; returns the count. */
  readInto(target: Uint8Array, offset: number, n: number): number {
    n = Math.min(n, this.#length);
    this.#copy(target, offset, n, true);
    return n;
  }

  /**
   * Removes and returns up to `max` bytes of the first chunk: a view when the buffer owns that
   * chunk (no copy), else a copy. For readers that take data as it came (streams, iteration).
   */
  readChunk(max: number): Buffer {
    if (this.#length === 0) return Buffer.alloc(0);
    const head = this.#chunks[this.#head]!;
    return this.read(Math.min(max, head.length - this.#offset));
  }

  /** The unconsumed bytes of the first chunk, as a view (valid until the buffer changes). */
  first(): Uint8Array {
    if (this.#length === 0) return EMPTY;
    return this.#chunks[this.#head]!.subarray(this.#offset);
  }

  /** Consumes `n` bytes (at most what is buffered) without returning them. */
  discard(n: number): void {
    // Within the head chunk (say a line of the many in one read) only three numbers change.
    // Kept apart from #consume, the chunk bookkeeping stays out of code that V8 optimises while
    // small pieces are read from the first chunk, and out of its way when that chunk runs out.
    const offset = this.#offset + n;
    if (n < this.#length && offset < this.#chunks[this.#head]!.length) {
      this.#length -= n;
      this.#consumed += n;
      this.#offset = offset;
      return;
    }
    this.#consume(Math.min(n, this.#length));
  }

  /** The byte at index `i` (0 is the oldest buffered byte); `i` must be below `length`. */
  at(i: number): number {
    let c = this.#head;
    let index = i + this.#offset;
    for (;;) {
      const chunk = this.#chunks[c]!;
      if (index < chunk.length) return chunk[index]!;
      index -= chunk.length;
      c++;
    }
  }

  /**
   * Decodes bytes `[start, end)` as `encoding` without consuming them: straight from the chunk
   * when one chunk holds them all (no copy), else through one copy.
   */
  decode(encoding: BufferEncoding, start: number, end: number): string {
    if (end <= start) return "";
    let c = this.#head;
    let index = start + this.#offset;
    for (;;) {
      const chunk = this.#chunks[c]!;
      if (index < chunk.length) {
        if (index + (end - start) <= chunk.length) {
          return toBuffer(chunk).toString(encoding, index, index + (end - start));
        }
        break;
      }
      index -= chunk.length;
      c++;
    }
    const copy = Buffer.allocUnsafe(end - start);
    let at = 0;
    this.segments(start, end, (chunk, from, to) => {
      copy.set(chunk.subarray(from, to), at);
      at += to - from;
    });
    return copy.toString(encoding);
  }

  /**
   * Calls `visit(chunk, from, to)` for the bytes `[start, end)` chunk by chunk, oldest first,
   * without consuming them, until `visit` returns false. `from`/`to` index into `chunk`.
   */
  segments(
    start: number,
    end: number,
    visit: (chunk: Uint8Array, from: number, to: number) => unknown,
  ): void {
    end = Math.min(end, this.#length);
    let base = 0;
    for (let c = this.#head; c < this.#tail && base < end; c++) {
      const chunk = this.#chunks[c]!;
      const first = c === this.#head ? this.#offset : 0;
      const size = chunk.length - first;
      if (base + size > start) {
        const from = first + Math.max(0, start - base);
        const to = first + Math.min(size, end - base);
        if (visit(chunk, from, to) === false) return;
      }
      base += size;
    }
  }

  /** Returns a copy of up to `n` bytes without consuming them. */
  peek(n: number): Buffer {
    n = Math.min(n, this.#length);
    const out = Buffer.allocUnsafe(n);
    this.#copy(out, 0, n, false);
    return out;
  }

  /**
   * Index of the first `delimiter` whose search starts at `from`, or −1. Pass the previous
   * `length - delimiter.length + 1` as `from` to avoid rescanning bytes already searched.
   */
  indexOf(delimiter: Uint8Array, from = 0): number {
    const d = delimiter.length;
    if (d === 0) return 0;
    const first = delimiter[0]!;
    let base = 0;
    for (let c = this.#head; c < this.#tail; c++) {
      const chunk = this.#chunks[c]!;
      const start = c === this.#head ? this.#offset : 0;
      const size = chunk.length - start;
      if (base + size <= from) {
        base += size;
        continue;
      }
      let i = Math.max(from - base, 0) + start;
      for (;;) {
        i = chunk.indexOf(first, i);
        if (i < 0) break;
        const at = base + i - start;
        if (at + d > this.#length) return -1;
        if (this.#matches(delimiter, c, i)) return at;
        i++;
      }
      base += size;
    }
    return -1;
  }

  /** Drops everything. */
  clear(): void {
    this.#chunks = [EMPTY];
    this.#head = 0;
    this.#tail = 0;
    this.#offset = 0;
    this.#length = 0;
    this.#borrowed = null;
    this.#transferred = false;
  }

  #matches(delimiter: Uint8Array, chunkIndex: number, index: number): boolean {
    let c = chunkIndex;
    let chunk = this.#chunks[c]!;
    let i = index;
    for (let k = 0; k < delimiter.length; k++, i++) {
      while (i >= chunk.length) {
        c++;
        chunk = this.#chunks[c]!;
        i = 0;
      }
      if (chunk[i] !== delimiter[k]) return false;
    }
    return true;
  }

  #copy(target: Uint8Array, offset: number, n: number, consume: boolean): void {
    let c = this.#head;
    let start = this.#offset;
    let copied = 0;
    while (copied < n) {
      const chunk = this.#chunks[c]!;
      const take = Math.min(chunk.length - start, n - copied);
      if (take === chunk.length) {
        // The whole chunk (start is 0): `set` needs no view of it.
        target.set(chunk, offset + copied);
      } else if (take <= SMALL_COPY) {
        // A loop beats making a view for `set` (and makes no garbage).
        for (let i = 0; i < take; i++) target[offset + copied + i] = chunk[start + i]!;
      } else {
        target.set(chunk.subarray(start, start + take), offset + copied);
      }
      copied += take;
      start += take;
      if (start === chunk.length) {
        c++;
        start = 0;
      }
    }
    if (consume) this.#consume(n);
  }

  #consume(n: number): void {
    this.#length -= n;
    this.#consumed += n;
    let offset = this.#offset + n;
    while (this.#head < this.#tail) {
      const chunk = this.#chunks[this.#head]!;
      if (offset < chunk.length) break;
      offset -= chunk.length;
      if (chunk === this.#borrowed) this.#borrowed = null;
      this.#chunks[this.#head] = EMPTY;
      this.#head++;
    }
    this.#offset = offset;
    if (this.#head === this.#tail) {
      this.#head = 0;
      this.#tail = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#tail) {
      // Move the live chunks to the front (the consumed slots already hold EMPTY).
      const live = this.#tail - this.#head;
      this.#chunks.copyWithin(0, this.#head, this.#tail);
      this.#chunks.fill(EMPTY, live, this.#tail);
      this.#head = 0;
      this.#tail = live;
    }
  }
}

/** Copies up to this many bytes with a loop rather than `TypedArray#set`. */
const SMALL_COPY = 64;

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}
