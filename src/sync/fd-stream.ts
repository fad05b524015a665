/**
 * A connected stream that this thread reads and writes itself, straight on its descriptor
 * (`fs.readSync`/`fs.writeSync`), once the helper has handed it over: the fast path of
 * `sockit/sync`, with the same system calls as CPython's socket module.
 *
 * Its calls are the `ByteStream` calls the operations table runs. With the descriptor in
 * non-blocking mode each is tried once (EAGAIN is NOT_READY, nothing consumed) and the policy
 * waits; in blocking mode (see `blocking`) a read or write waits in the kernel, as Python's
 * blocking socket does. Bytes read but not yet taken (a peek, or a `recvExactly`/`recvUntil`
 * still short) wait in a receive buffer, which later reads take first.
 */

import { readSync, writeSync } from "node:fs";
import {
  BrokenPipeError,
  fromNodeError,
  IncompleteReadError,
  LimitOverrunError,
} from "../core/errors.js";
import { NOT_READY } from "../socket/operation.js";
import { RecvBuffer } from "../socket/recv-buffer.js";
import type { ByteStream, SendAllState } from "../socket/transport.js";

/** What one read from the kernel asks for at most when filling the receive buffer. */
const READ_SIZE = 64 * 1024;

const EMPTY = Buffer.alloc(0);

/** The buffer a recv reads into before copying out what came (one per thread). */
const SCRATCH = Buffer.allocUnsafe(READ_SIZE);

/** See the module comment. */
export class FdStream implements ByteStream {
  readonly fd: number;
  readonly rx = new RecvBuffer();
  /** The address for messages. */
  readonly label: string;
  /** Whether the descriptor is in blocking mode now (calls wait in the kernel). */
  blocking = false;
  #eof = false;
  #writeShut = false;

  constructor(fd: number, leftover: Uint8Array | undefined, label: string) {
    this.fd = fd;
    this.label = label;
    if (leftover !== undefined && leftover.length > 0) this.rx.push(leftover);
  }

  /** Marks the write side shut (after `shutdown(SHUT_WR)`): sends are EPIPE. */
  shutWrite(): void {
    this.#writeShut = true;
  }

  /** Marks the read side shut (after `shutdown(SHUT_RD)`): reads see end of stream. */
  shutRead(): void {
    this.#eof = true;
    this.rx.read(this.rx.length);
  }

  /**
   * One read(2) into `target` at `offset`: the count (0 at end of stream), NOT_READY on EAGAIN,
   * or the error Python raises for what the kernel said.
   */
  #read(target: Uint8Array, offset: number, n: number, op: string): number | typeof NOT_READY {
    if (this.#eof) return 0;
    const limit = Error.stackTraceLimit;
    // A would-block read throws; without stack frames that costs a third less.
    Error.stackTraceLimit = 0;
    try {
      const count = readSync(this.fd, target, offset, n, null);
      if (count === 0) this.#eof = true;
      return count;
    } catch (error) {
      Error.stackTraceLimit = limit;
      if ((error as { code?: unknown }).code === "EAGAIN") return NOT_READY;
      this.#eof = true;
      throw fromNodeError(error, { op, address: this.label });
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /**
   * Reads what the kernel has into the receive buffer, until it holds `want` bytes (in blocking
   * mode: one read, which waits). NOT_READY only if nothing at all was there.
   */
  #fill(want: number, op: string): typeof NOT_READY | undefined {
    let added = false;
    while (this.rx.length < want) {
      const chunk = Buffer.allocUnsafe(Math.max(want - this.rx.length, READ_SIZE));
      const count = this.#read(chunk, 0, chunk.length, op);
      if (count === NOT_READY) return added ? undefined : NOT_READY;
      if (count === 0) return undefined;
      this.rx.push(chunk.subarray(0, count));
      added = true;
      if (this.blocking) return undefined;
    }
    return undefined;
  }

  recv(n: number, peek: boolean, op: string): Buffer | typeof NOT_READY {
    if (this.rx.length === 0) {
      if (peek) {
        const filled = this.#fill(1, op);
        if (filled === NOT_READY) return NOT_READY;
        return this.rx.peek(n);
      }
      // Up to 64 KiB goes through one reused buffer and leaves as a copy of what came, so a
      // recv(65536) that gets 64 bytes makes a 64-byte Buffer, not a 64 KiB one.
      const into = n <= SCRATCH.length ? SCRATCH : Buffer.allocUnsafe(n);
      const count = this.#read(into, 0, n, op);
      if (count === NOT_READY) return NOT_READY;
      if (count === 0) return EMPTY;
      return into === SCRATCH ? Buffer.from(SCRATCH.subarray(0, count)) : into.subarray(0, count);
    }
    return peek ? this.rx.peek(n) : this.rx.read(n);
  }

  recvInto(target: Uint8Array, n: number, op: string): number | typeof NOT_READY {
    if (this.rx.length > 0) return this.rx.readInto(target, 0, n);
    return this.#read(target, 0, n, op);
  }

  recvExactly(n: number, op: string): Buffer | typeof NOT_READY {
    for (;;) {
      if (this.rx.length >= n) return this.rx.read(n);
      if (this.#fill(n, op) === NOT_READY) return NOT_READY;
      if (this.rx.length >= n) return this.rx.read(n);
      if (this.#eof) {
        throw new IncompleteReadError(this.rx.read(this.rx.length), n, { op, address: this.label });
      }
    }
  }

  recvUntil(
    delimiter: Uint8Array,
    maxBytes: number,
    scan: { next: number },
    op: string,
  ): Buffer | typeof NOT_READY {
    const rx = this.rx;
    for (;;) {
      const at = rx.indexOf(delimiter, Math.max(0, scan.next - rx.consumed));
      if (at >= 0) {
        const end = at + delimiter.length;
        if (end > maxBytes) throw new LimitOverrunError(at, maxBytes, { op, address: this.label });
        return rx.read(end);
      }
      if (rx.length >= maxBytes) {
        throw new LimitOverrunError(rx.length, maxBytes, { op, address: this.label });
      }
      scan.next = rx.consumed + Math.max(0, rx.length - delimiter.length + 1);
      if (this.#eof) {
        throw new IncompleteReadError(rx.read(rx.length), null, { op, address: this.label });
      }
      if (this.#fill(rx.length + 1, op) === NOT_READY) return NOT_READY;
    }
  }

  /**
   * One write(2) of `data` from `offset` on: the count accepted, NOT_READY on EAGAIN, or the
   * error Python raises.
   */
  #write(data: Uint8Array, offset: number, op: string): number | typeof NOT_READY {
    if (this.#writeShut) throw new BrokenPipeError("EPIPE", { op, address: this.label });
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return writeSync(this.fd, data, offset, data.length - offset);
    } catch (error) {
      Error.stackTraceLimit = limit;
      if ((error as { code?: unknown }).code === "EAGAIN") return NOT_READY;
      throw fromNodeError(error, { op, address: this.label });
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  send(data: Uint8Array, op: string): number | typeof NOT_READY {
    if (data.length === 0) return 0;
    return this.#write(data, 0, op);
  }

  sendAll(state: SendAllState, op: string): undefined | typeof NOT_READY {
    const { data } = state;
    while (state.sent < data.length) {
      const count = this.#write(data, state.sent, op);
      if (count === NOT_READY) return NOT_READY;
      state.sent += count;
    }
    return undefined;
  }

  /** There is no send buffer of ours to copy into: every send goes to the kernel. */
  sendSmall(_data: Uint8Array): boolean {
    return false;
  }

  /** Bytes are buffered, or a call that may wait for ever waits in read(2) itself. */
  receivesNow(blockingCall: boolean): boolean {
    return this.rx.length > 0 || (blockingCall && this.blocking);
  }

  /** Reads buffer as much as a call needs already. */
  demand(_bytes: number): () => void {
    return release;
  }
}

function release(): void {}
