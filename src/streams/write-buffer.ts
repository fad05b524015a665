/**
 * A file object's write buffer (Python's BufferedWriter): writes gather in it up to `size`
 * bytes and go out in one `sendAll` when the next one would not fit, or on `flush`.
 *
 * Nothing is lost to a timeout, an abort or a non-blocking miss. A failed `flush` keeps every
 * byte the socket did not accept, to send first next time. A failed `write` keeps what earlier
 * writes left and as much of its own data as fits in the buffer, and says how much of it that
 * was in the error's `charactersWritten` (Python's `BlockingIOError.characters_written`); the
 * caller writes the rest again. Closing the socket hands everything still held to it, so
 * `close` sends it as it sends any queued data.
 *
 * @module
 */

import type { Descriptor } from "../socket/descriptor.js";
import type { WaitOptions } from "../socket/operation.js";
import { run } from "../socket/policy.js";
import type { Stream } from "../socket/stream.js";
import { FLUSH, type SendState, WRITE_THROUGH } from "./file-ops.js";

/** How a write's bytes divide into the units `write` counts (bytes, or characters of text). */
export interface Fit {
  /** The largest unit boundary at or below `bytes`. */
  down(bytes: number): number;
  /** The smallest unit boundary at or above `bytes`. */
  up(bytes: number): number;
  /** Units in the first `bytes` bytes (a unit boundary). */
  units(bytes: number): number;
}

/** Bytes are their own units. */
export const BYTES: Fit = { down: (n) => n, up: (n) => n, units: (n) => n };

const DONE: Promise<void> = Promise.resolve();
const ignore = (): void => {};

/** See the module comment. */
export class WriteBuffer {
  readonly #d: Descriptor;
  readonly #size: number;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  /** The send under way, whose unsent rest a closing socket must still take. */
  #sending: SendState | undefined;
  /** Calls that wait run one at a time, in order; `#busy` counts those queued or running. */
  #tail: Promise<void> = DONE;
  #busy = 0;

  constructor(d: Descriptor, size: number) {
    this.#d = d;
    this.#size = size;
  }

  /** Takes `data` (all of it, unless it rejects: then see the module comment). */
  write(data: Uint8Array, options: WaitOptions | undefined, fit: Fit): Promise<void> {
    if (this.#busy === 0 && this.#bytes + data.length <= this.#size) {
      this.#hold(Buffer.from(data));
      return DONE;
    }
    return this.#serial(() => this.#writeThrough(data, options, fit));
  }

  /** Sends everything held; on failure keeps what the socket did not accept. */
  flush(options: WaitOptions | undefined): Promise<void> {
    if (this.#busy === 0 && this.#bytes === 0) return DONE;
    return this.#serial(() => this.#flush(options));
  }

  /** As the socket closes: gives it everything not yet sent (its close still sends queued data). */
  handOver(stream: Stream | undefined): void {
    const sending = this.#sending;
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#bytes = 0;
    if (stream === undefined || stream.writeShut || stream.socket.destroyed) return;
    if (sending !== undefined && sending.sent < sending.data.length) {
      stream.write(sending.data.subarray(sending.sent));
      sending.sent = sending.data.length;
    }
    for (const chunk of chunks) stream.write(chunk);
  }

  #hold(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }

  #serial(task: () => Promise<void>): Promise<void> {
    this.#busy++;
    const result = this.#tail.then(async () => {
      try {
        await task();
      } finally {
        this.#busy--;
      }
    });
    this.#tail = result.then(ignore, ignore);
    return result;
  }

  /** Everything held plus `data`, in one buffer the send may lend to the kernel. */
  #takeAll(data?: Uint8Array): Buffer {
    const parts = data === undefined ? this.#chunks : [...this.#chunks, data];
    const all = Buffer.concat(parts, this.#bytes + (data?.length ?? 0));
    this.#chunks = [];
    this.#bytes = 0;
    return all;
  }

  async #writeThrough(data: Uint8Array, options: WaitOptions | undefined, fit: Fit): Promise<void> {
    if (this.#bytes + data.length <= this.#size) {
      this.#hold(Buffer.from(data));
      return;
    }
    const held = this.#bytes;
    const state: SendState = { data: this.#takeAll(data), sent: 0, lastWrite: 0 };
    this.#sending = state;
    try {
      await run(this.#d, WRITE_THROUGH, state, options);
    } catch (error) {
      // Bytes of `data` that went out, and how many more of it the buffer keeps.
      const dataSent = Math.max(0, state.sent - held);
      const room = this.#size - Math.max(0, held - state.sent);
      let taken = data.length;
      if (canCarry(error)) {
        taken = fit.down(Math.min(data.length, dataSent + Math.max(0, room)));
        if (taken < dataSent) taken = fit.up(dataSent);
        (error as { charactersWritten?: number }).charactersWritten = fit.units(taken);
      }
      if (held + taken > state.sent)
        this.#chunks.unshift(state.data.subarray(state.sent, held + taken));
      this.#bytes += Math.max(0, held + taken - state.sent);
      throw error;
    } finally {
      this.#sending = undefined;
    }
  }

  async #flush(options: WaitOptions | undefined): Promise<void> {
    if (this.#bytes === 0) return;
    const state: SendState = { data: this.#takeAll(), sent: 0, lastWrite: 0 };
    this.#sending = state;
    try {
      await run(this.#d, FLUSH, state, options);
    } catch (error) {
      const rest = state.data.subarray(state.sent);
      if (rest.length > 0) {
        this.#chunks.unshift(rest);
        this.#bytes += rest.length;
      }
      throw error;
    } finally {
      this.#sending = undefined;
    }
  }
}

/** Whether `error` can carry `charactersWritten` (an abort's reason may be anything). */
function canCarry(error: unknown): boolean {
  return typeof error === "object" && error !== null && Object.isExtensible(error);
}
