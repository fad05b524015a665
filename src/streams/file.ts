/**
 * What every file object over a socket (Python's `socket.makefile`) does, whether binary
 * (binary-file.ts) or text (text-file.ts).
 *
 * A file object keeps no read buffer of its own: the socket's receive buffer is its buffer, and
 * every read is a socket call under the socket's mode (file-ops.ts). So a read that times out
 * or is aborted consumes nothing and the next one sees the same bytes (CPython's file object
 * is unusable after a timeout; this one is not), reading through the socket and the file in
 * turn keeps the byte order, and closing a file loses nothing unread. Writes gather in a write
 * buffer (write-buffer.ts).
 *
 * Lifetime: closing the file flushes it and leaves the socket open. Closing the socket releases
 * the connection at once, as always: it first sends what open files still held, and their later
 * calls fail with `SocketError` `EBADF`. (CPython instead keeps the connection until the socket
 * and every file made from it are closed, by reference counting, which JavaScript cannot see.)
 *
 * @module
 */

import { describe } from "../core/checks.js";
import { busyError, Descriptor } from "../socket/descriptor.js";
import {
  callTimeout,
  closedError,
  NOT_READY,
  type Operation,
  type WaitOptions,
} from "../socket/operation.js";
import type { SocketOperation } from "../socket/operations.js";
import { run, tryOnce, waitFor } from "../socket/policy.js";
import { UnsupportedOperation } from "./errors.js";
import {
  closedFileError,
  type FileReader,
  RAW_WRITE,
  READ,
  READLINE,
  READLINES,
  type ReadCall,
  type Unit,
} from "./file-ops.js";
import type { FileSpec } from "./file-options.js";
import type { Units } from "./units.js";
import { type Fit, WriteBuffer } from "./write-buffer.js";

/** A size argument (`n`, `limit`, `hint`): a negative number or `null` means none. */
export type Size = number | null | undefined;

/**
 * What binary and text files share. `T` is what reads return (`Buffer` or `string`), `W` what
 * `write` takes (`Uint8Array` or `string`). Every method that can wait takes `{ timeout, signal }`
 * last, as socket calls do; sizes count bytes in a binary file and characters (code points, as
 * Python) in a text file.
 */
export abstract class SocketFile<T extends Unit, W> {
  /** The mode given to `makefile`. */
  readonly mode: string;
  /** @internal */
  readonly units: Units<Unit>;
  /** @internal */
  readonly raw: boolean;
  readonly #d: Descriptor;
  readonly #spec: FileSpec;
  readonly #writer: WriteBuffer | undefined;
  #closed = false;
  readonly #forget: () => void;

  /** @internal Use `socket.makefile()`. */
  /** @internal Files come from `sock.makefile(mode)`. */
  constructor(d: Descriptor, spec: FileSpec, units: Units<Unit>) {
    madeByMakefile(d, new.target.name);
    this.mode = spec.mode;
    this.units = units;
    this.raw = spec.raw;
    this.#d = d;
    this.#spec = spec;
    this.#writer = spec.writing && !spec.raw ? new WriteBuffer(d, spec.bufferSize) : undefined;
    this.#forget = d.onClose(() => this.#writer?.handOver(d.openStream()));
  }

  /** True once `close()` was called on the file (closing the socket does not set it). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the file was opened for reading (`"r"` in the mode, or no `"w"`). */
  readable(): boolean {
    return this.#spec.reading;
  }

  /** Whether the file was opened for writing (`"w"` in the mode). */
  writable(): boolean {
    return this.#spec.writing;
  }

  /** The socket's OS descriptor (−1 when it has none). */
  fileno(): number {
    return this.#d.fileno();
  }

  /**
   * `n` bytes or characters, fewer only at end of stream; everything until end of stream when
   * `n` is negative or omitted. Empty only at end of stream. Unbuffered files: one `recv`.
   */
  read(n?: Size | WaitOptions, options?: WaitOptions): Promise<T> {
    return this.#read(READ, "read", n, options) as Promise<T>;
  }

  /**
   * One line, with its line end (`"\n"`; text files: by the newline rule), or at most `limit`
   * bytes or characters of it; what is left at end of stream; empty only at end of stream.
   */
  readline(limit?: Size | WaitOptions, options?: WaitOptions): Promise<T> {
    // The common case first (as `sendAll` tries small sends): no limit or options, a whole line
    // already buffered, on an open socket with no read deadline. Anything else, errors included,
    // is left to the general path, which runs the policy's checks in order. Written out here,
    // not in a helper: until V8 optimizes it, each call on this path costs what a line does.
    if (limit === undefined && options === undefined && !this.#closed && this.#spec.reading) {
      const d = this.#d;
      const stream = d.closed || d.deadline("read") !== null ? undefined : d.openStream();
      if (stream !== undefined && stream.state === "open") {
        const line = this.units.quickLine(stream.rx);
        if (line !== undefined) {
          stream.refill();
          return Promise.resolve(line as T);
        }
      }
    }
    return this.#read(READLINE, "readline", limit, options) as Promise<T>;
  }

  /**
   * The lines until end of stream, or until they hold more than `hint` bytes or characters (when
   * `hint > 0`). Takes nothing unless it succeeds.
   */
  readlines(hint?: Size | WaitOptions, options?: WaitOptions): Promise<T[]> {
    return this.#read(READLINES, "readlines", hint, options) as Promise<T[]>;
  }

  /**
   * Writes `data` into the write buffer (sending the buffer when it would overflow) and returns
   * its length in bytes or characters; an unbuffered file makes one `send` and returns how many
   * bytes it accepted. On failure `error.charactersWritten` says how much of `data` was taken.
   */
  write(data: W, options?: WaitOptions): Promise<number> {
    try {
      this.#checkWrite("write");
      const [bytes, count, fit] = this.encode(data);
      if (this.raw) return run(this.#d, RAW_WRITE, bytes, options);
      return this.#writer!.write(bytes, options, fit).then(() => count);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Writes each of `lines` in turn (no line ends are added). */
  async writelines(lines: Iterable<W>, options?: WaitOptions): Promise<void> {
    if (lines === null || typeof lines !== "object" || !(Symbol.iterator in lines)) {
      throw new TypeError(`writelines(): lines must be iterable, got ${describe(lines)}`);
    }
    for (const line of lines) await this.write(line, options);
  }

  /** Sends what the write buffer holds; on failure it keeps what the socket did not take. */
  flush(options?: WaitOptions): Promise<void> {
    if (this.#closed) return Promise.reject(closedFileError("flush"));
    if (this.#writer === undefined) return Promise.resolve();
    if (this.#d.closed) return Promise.reject(closedError("flush", this.#d));
    return this.#writer.flush(options);
  }

  /**
   * Flushes and closes the file; the socket stays open. If the flush fails the file stays open
   * with its data (call `close` again). Closing twice is harmless.
   */
  async close(options?: WaitOptions): Promise<void> {
    if (this.#closed) return;
    if (this.#writer !== undefined && !this.#d.closed) await this.#writer.flush(options);
    this.#closed = true;
    this.#forget();
    // Calls of this file that wait must fail now, not when data next arrives.
    this.#d.wake("read");
  }

  /** Calls `close()` (`await using f = sock.makefile()`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The lines until end of stream, each read by `readline()` under the socket's mode. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** @internal */
  checkOpen(op: string): void {
    if (this.#closed) throw closedFileError(op);
  }

  /** @internal Checks a read call before it runs. */
  protected checkRead(op: string): void {
    this.checkOpen(op);
    if (!this.#spec.reading) {
      throw new UnsupportedOperation(
        op,
        `the file object is not readable (mode ${JSON.stringify(this.mode)}): make it with "r" or "rw"`,
      );
    }
  }

  /**
   * @internal Runs a read entry of file-ops.ts on this file. A call without per-call options
   * tries at once through the policy's own start (`tryOnce`: closed, deadline, then the attempt)
   * with one reused call object, since most reads of a busy stream find their data already
   * buffered; one that must wait then waits (`waitFor`) with a call object of its own, without
   * trying again first. A call with options goes through `run`.
   */
  protected runRead<R>(
    op: SocketOperation<[file: FileReader, n: number, options?: WaitOptions], ReadCall, R>,
    size: number,
    options: WaitOptions | undefined,
  ): Promise<R> {
    if (options !== undefined) return run(this.#d, op, this, size, options);
    const d = this.#d;
    const entry = op as Operation<Descriptor, never, ReadCall, R>;
    const timeout = callTimeout(d, entry, undefined);
    const call = this.#call;
    call.n = size;
    let result: R | typeof NOT_READY = NOT_READY;
    let failure: { error: unknown } | undefined;
    try {
      result = tryOnce(d, entry, call, timeout, undefined);
    } catch (error) {
      failure = { error };
    }
    // The receive-buffer room this try asked for goes to the waiting call, or back.
    const room = call.release;
    call.release = undefined;
    if (failure === undefined && result === NOT_READY) {
      return waitFor(d, entry, { file: this, n: size, release: room }, timeout, undefined);
    }
    room?.();
    return failure === undefined ? Promise.resolve(result as R) : Promise.reject(failure.error);
  }

  /** @internal Runs a file-ops.ts entry on this file through `run`. */
  protected runCall<A, R>(
    op: SocketOperation<[file: FileReader, arg: A, options?: WaitOptions], unknown, R>,
    arg: A,
    options: WaitOptions | undefined,
  ): Promise<R> {
    return run(this.#d, op, this, arg, options);
  }

  /** The call object of reads tried at once (see runRead). */
  readonly #call: ReadCall = { file: this, n: 0, release: undefined };

  /** @internal `data` as bytes, its length in write's units, and how its bytes fit those units. */
  protected abstract encode(data: W): [Uint8Array, number, Fit];

  #read<R>(
    op: SocketOperation<[file: FileReader, n: number, options?: WaitOptions], ReadCall, R>,
    name: string,
    size: Size | WaitOptions,
    options: WaitOptions | undefined,
  ): Promise<R> {
    let n: number;
    try {
      this.checkRead(name);
      n = sizeOf(
        size,
        name === "read"
          ? "read(): n"
          : name === "readline"
            ? "readline(): limit"
            : "readlines(): hint",
      );
    } catch (error) {
      return Promise.reject(error);
    }
    return this.runRead(op, n, optionsOf(size, options));
  }

  #checkWrite(op: string): void {
    this.checkOpen(op);
    const d = this.#d;
    if (d.closed) throw closedError(op, d);
    if (d.holder !== undefined) throw busyError(op, d.describe());
    if (!this.#spec.writing) {
      throw new UnsupportedOperation(
        op,
        `the file object is not writable (mode ${JSON.stringify(this.mode)}): make it with "w" or "rw"`,
      );
    }
  }
}

/** A size argument (`n`, `limit`, `hint`): −1 for none (negative, null, omitted, or options in its place). */
export function sizeOf(value: Size | WaitOptions, where: string): number {
  if (value === undefined || value === null || typeof value === "object") return -1;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `${where} must be an integer (negative or null: no limit), got ${describe(value)}`,
    );
  }
  return value < 0 ? -1 : value;
}

/** The options of a call whose size argument may be left out (`readline({ timeout: 1 })`). */
export function optionsOf(
  size: Size | WaitOptions,
  options: WaitOptions | undefined,
): WaitOptions | undefined {
  return typeof size === "object" && size !== null ? size : options;
}

/** Refuses a file not made by `makefile` (its arguments are the socket's insides). */
export function madeByMakefile(d: unknown, name: string): Descriptor {
  if (!(d instanceof Descriptor)) {
    throw new TypeError(`${name} cannot be made directly: use sock.makefile(mode)`);
  }
  return d;
}
