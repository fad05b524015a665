/**
 * How a file object reads: where a line ends and where `n` units end in the socket's receive
 * buffer, and how bytes become its results. A binary file counts bytes and ends lines at
 * `"\n"`; a text file counts characters (code points, as Python) and ends lines by its newline
 * rule (file-options.ts).
 *
 * Everything works on the received bytes before anything is consumed: a call that cannot
 * finish yet (more data needed) consumes nothing, so a timeout loses nothing and the file needs
 * no buffer of its own. Positions are byte indexes into the receive buffer, 0 being the oldest
 * byte; −1 means "more data is needed", which at end of stream never happens.
 *
 * @module
 */

import type { RecvBuffer } from "../socket/recv-buffer.js";

export const LF = 0x0a;
export const CR = 0x0d;
export const LF_BYTES = Buffer.from([LF]);
export const CR_BYTES = Buffer.from([CR]);
export const CRLF_BYTES = Buffer.from([CR, LF]);

/** See the module comment. `T` is what reads return. */
export interface Units<T> {
  readonly empty: T;
  /** Most bytes one unit takes. */
  readonly maxBytes: number;
  /**
   * Where the line starting at `from` ends: after its line end, or after `limit` units (no
   * limit when negative), or at the end of the data at end of stream; −1 if more is needed.
   */
  lineEnd(rx: RecvBuffer, from: number, limit: number, eof: boolean): number;
  /** Where `n` units from `from` end (fewer at end of stream); −1 if more is needed. */
  unitsEnd(rx: RecvBuffer, from: number, n: number, eof: boolean): number;
  /** Bytes `[start, end)` as a result, without consuming them (text files may throw here). */
  peek(rx: RecvBuffer, start: number, end: number, op: string): T;
  /** The first `n` bytes as a result, consumed (nothing is consumed if it throws). */
  take(rx: RecvBuffer, n: number, op: string): T;
  /** `take` for bytes that {@link lineEnd} delimited. */
  takeLine(rx: RecvBuffer, n: number, op: string): T;
  /**
   * A whole line (no limit) taken at once when finding it needs no look-ahead and no decoding
   * can fail, else undefined (then the general path decides). Consumes only what it returns.
   */
  quickLine(rx: RecvBuffer): T | undefined;
  /** Units in a result. */
  count(value: T): number;
}

/** Bytes, with lines ending at `"\n"`. */
export class ByteUnits implements Units<Buffer> {
  readonly empty = Buffer.alloc(0);
  readonly maxBytes = 1;
  readonly #lf = new Search(LF_BYTES);

  lineEnd(rx: RecvBuffer, from: number, limit: number, eof: boolean): number {
    const at = this.#lf.find(rx, from);
    if (at >= 0 && (limit < 0 || at < from + limit)) return at + 1;
    if (limit >= 0 && rx.length - from >= limit) return from + limit;
    return eof ? rx.length : -1;
  }

  unitsEnd(rx: RecvBuffer, from: number, n: number, eof: boolean): number {
    if (rx.length - from >= n) return from + n;
    return eof ? rx.length : -1;
  }

  peek(rx: RecvBuffer, start: number, end: number): Buffer {
    const out = Buffer.allocUnsafe(end - start);
    let at = 0;
    rx.segments(start, end, (chunk, a, b) => {
      out.set(chunk.subarray(a, b), at);
      at += b - a;
    });
    return out;
  }

  take(rx: RecvBuffer, n: number): Buffer {
    return rx.read(n);
  }

  takeLine(rx: RecvBuffer, n: number): Buffer {
    return rx.read(n);
  }

  quickLine(rx: RecvBuffer): Buffer | undefined {
    const at = this.#lf.find(rx, 0);
    return at < 0 ? undefined : rx.read(at + 1);
  }

  count(value: Buffer): number {
    return value.length;
  }
}

/**
 * A search for line-end bytes that never searches a byte twice: it remembers, as an absolute
 * position (`rx.consumed` based, so other readers taking bytes meanwhile do not matter), how
 * far the buffer is known to hold no match.
 */
export class Search {
  readonly #bytes: Uint8Array;
  /** No match starts before this absolute position. */
  #clear = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Index of the first match at or after `from`, or −1. */
  find(rx: RecvBuffer, from: number): number {
    const known = this.#clear - rx.consumed;
    const start = Math.max(from, known);
    const at = rx.indexOf(this.#bytes, start);
    // Only a search that started where knowledge ends extends it.
    if (start <= Math.max(known, 0)) {
      this.#clear =
        rx.consumed + (at >= 0 ? at : Math.max(start, rx.length - this.#bytes.length + 1));
    }
    return at;
  }
}
