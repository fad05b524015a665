/**
 * The calls of file objects that can wait, as entries of the operations table: each is a socket
 * call run under the socket's mode (policy.ts), so a file's `readline` waits, fails at once or
 * times out exactly as a `recv` would, and, like every entry, consumes nothing unless it
 * succeeds. The file keeps no read buffer: each attempt looks at the socket's receive buffer
 * through the file's {@link Units} and takes what it returns in one go.
 *
 * @module
 */

import { SocketError } from "../core/errors.js";
import type { Descriptor } from "../socket/descriptor.js";
import type { Operation } from "../socket/operation.js";
import { NOT_READY, type WaitOptions } from "../socket/operation.js";
import type { Stream } from "../socket/stream.js";
import * as calls from "../socket/stream-calls.js";
import type { SendAllState } from "../socket/transport.js";
import type { Units } from "./units.js";

/** A result of a file read: bytes or text. */
export type Unit = Buffer | string;

/** What the read entries need of a file object. */
export interface FileReader {
  readonly units: Units<Unit>;
  /** Unbuffered: `read(n)` and `readinto` are one `recv` each. */
  readonly raw: boolean;
  /** Throws EBADF if the file is closed (checked at every try: a close wakes waiting calls). */
  checkOpen(op: string): void;
}

/** One read call: the file, its size argument, and the receive-buffer room it asked for. */
export interface ReadCall {
  readonly file: FileReader;
  n: number;
  release: (() => void) | undefined;
}

/** `readinto`'s call. */
interface IntoCall {
  readonly file: FileReader;
  readonly buffer: Uint8Array;
  release: (() => void) | undefined;
}

/** The stream a read tries on, or null while it is still connecting. */
function begin(d: Descriptor, file: FileReader, op: string): Stream | null {
  file.checkOpen(op);
  const stream = d.stream(op, "read");
  return stream.state === "connecting" ? null : stream;
}

/**
 * End of stream for a read that needs more than is buffered. A pending error is not: it is
 * raised first (the buffered data stays for the next call), as `recv` raises it once the data
 * before it is read.
 */
function atEnd(stream: Stream): boolean {
  return stream.eof && stream.pending === null;
}

/**
 * A read that needs more data: raises a pending error, else lets the buffer grow to `room` once
 * it is full. Until then the kernel is read anyway, and a waiting call is tried again as each
 * read arrives, the one that fills the buffer included, so asking earlier changes nothing.
 */
function needMore(
  stream: Stream,
  call: { release: (() => void) | undefined },
  room: number,
  op: string,
): typeof NOT_READY {
  if (stream.pending !== null) throw stream.takeError(op);
  if (call.release === undefined) {
    if (stream.rx.length >= stream.rcvbuf) call.release = demand(stream, room);
    else stream.refill();
  }
  return NOT_READY;
}

/** A read's result, once the kernel may read again into the room it made. */
function finish<R>(stream: Stream, value: R): R {
  stream.refill();
  return value;
}

/** Lets the receive buffer grow to `bytes` while a call waits; the release runs once. */
function demand(stream: Stream, bytes: number): () => void {
  let release: (() => void) | undefined = stream.demand(bytes);
  return () => {
    release?.();
    release = undefined;
  };
}

/** Receive-buffer room for `n` units (the extra byte: a `"\r"` whose next byte decides). */
function roomFor(units: Units<Unit>, n: number): number {
  return n < 0 ? Number.POSITIVE_INFINITY : n * units.maxBytes + 1;
}

const release = (call: { release: (() => void) | undefined }): void => call.release?.();

/** `read(n)`: `n` units, fewer only at end of stream; all until end of stream if `n < 0`. */
export const READ: Operation<
  Descriptor,
  [file: FileReader, n: number, options?: WaitOptions],
  ReadCall,
  Unit
> = {
  name: "read",
  direction: "read",
  prepare: (_d, file, n) => ({ file, n, release: undefined }),
  options: (_file, _n, options) => options,
  attempt: (d, call) => {
    const { units, raw } = call.file;
    const n = call.n;
    if (n === 0) return units.empty;
    const stream = begin(d, call.file, "read");
    if (stream === null) return NOT_READY;
    const { rx } = stream;
    const eof = atEnd(stream);
    let end: number;
    if (n < 0) end = eof ? rx.length : -1;
    else if (raw) end = rx.length > 0 || eof ? Math.min(rx.length, n) : -1;
    else end = units.unitsEnd(rx, 0, n, eof);
    if (end < 0) return needMore(stream, call, raw ? 0 : roomFor(units, n), "read");
    return finish(stream, units.take(rx, end, "read"));
  },
  failed: (_error, call) => release(call),
  settled: release,
};

/** `read1(n)`: what has arrived, up to `n` bytes (all of it if `n < 0`); empty at end of stream. */
export const READ1: Operation<
  Descriptor,
  [file: FileReader, n: number, options?: WaitOptions],
  ReadCall,
  Unit
> = {
  name: "read1",
  direction: "read",
  prepare: (_d, file, n) => ({ file, n, release: undefined }),
  options: (_file, _n, options) => options,
  attempt: (d, call) => {
    if (call.n === 0) return call.file.units.empty;
    const stream = begin(d, call.file, "read1");
    if (stream === null) return NOT_READY;
    const { rx } = stream;
    if (rx.length === 0 && !atEnd(stream)) return needMore(stream, call, 0, "read1");
    return finish(stream, rx.read(call.n < 0 ? rx.length : Math.min(rx.length, call.n)));
  },
  failed: (_error, call) => release(call),
  settled: release,
};

/** `readline(limit)`: a line with its line end, at most `limit` units if `limit >= 0`. */
export const READLINE: Operation<
  Descriptor,
  [file: FileReader, limit: number, options?: WaitOptions],
  ReadCall,
  Unit
> = {
  name: "readline",
  direction: "read",
  prepare: (_d, file, limit) => ({ file, n: limit, release: undefined }),
  options: (_file, _limit, options) => options,
  attempt: (d, call) => {
    const { units } = call.file;
    if (call.n === 0) return units.empty;
    const stream = begin(d, call.file, "readline");
    if (stream === null) return NOT_READY;
    const { rx } = stream;
    // A call that waited is retried as data arrives: most retries find a whole line in the
    // first chunk, as the file's readline() does before it comes here.
    if (call.n < 0) {
      const line = units.quickLine(rx);
      if (line !== undefined) return finish(stream, line);
    }
    const eof = atEnd(stream);
    const end = rx.length === 0 && !eof ? -1 : units.lineEnd(rx, 0, call.n, eof);
    if (end < 0) return needMore(stream, call, roomFor(units, call.n), "readline");
    return finish(stream, units.takeLine(rx, end, "readline"));
  },
  failed: (_error, call) => release(call),
  settled: release,
};

/**
 * `readlines(hint)`: lines until end of stream, or until they hold more than `hint` units
 * (`hint > 0`). Consumes nothing until it has them all.
 */
export const READLINES: Operation<
  Descriptor,
  [file: FileReader, hint: number, options?: WaitOptions],
  ReadCall,
  Unit[]
> = {
  name: "readlines",
  direction: "read",
  prepare: (_d, file, hint) => ({ file, n: hint, release: undefined }),
  options: (_file, _hint, options) => options,
  attempt: (d, call) => {
    const { units } = call.file;
    const stream = begin(d, call.file, "readlines");
    if (stream === null) return NOT_READY;
    const { rx } = stream;
    const eof = atEnd(stream);
    // Every line is decoded before any is consumed: a decoding error leaves them all unread.
    const lines: Unit[] = [];
    let from = 0;
    let total = 0;
    while (!(eof && from === rx.length)) {
      const end = units.lineEnd(rx, from, -1, eof);
      if (end < 0) return needMore(stream, call, Number.POSITIVE_INFINITY, "readlines");
      const line = units.peek(rx, from, end, "readlines");
      lines.push(line);
      from = end;
      total += units.count(line);
      if (call.n > 0 && total > call.n) break;
    }
    rx.discard(from);
    return finish(stream, lines);
  },
  failed: (_error, call) => release(call),
  settled: release,
};

/** `readinto(buffer)`: fills `buffer` (fewer bytes only at end of stream); unbuffered: one recv. */
export const READINTO: Operation<
  Descriptor,
  [file: FileReader, buffer: Uint8Array, options?: WaitOptions],
  IntoCall,
  number
> = {
  name: "readinto",
  direction: "read",
  prepare: (_d, file, buffer) => ({ file, buffer, release: undefined }),
  options: (_file, _buffer, options) => options,
  attempt: (d, call) => {
    const n = call.buffer.length;
    if (n === 0) return 0;
    const stream = begin(d, call.file, "readinto");
    if (stream === null) return NOT_READY;
    const { rx } = stream;
    if (rx.length < (call.file.raw ? 1 : n) && !atEnd(stream)) {
      return needMore(stream, call, n, "readinto");
    }
    return finish(stream, rx.readInto(call.buffer, 0, Math.min(rx.length, n)));
  },
  failed: (_error, call) => release(call),
  settled: release,
};

/** Bytes a file sends: `sendAll`'s progress, kept by the file (it needs `sent` if the call fails). */
export type SendState = SendAllState;

/** A file's flush of its write buffer (`write`, `flush`, `close`): `sendAll` under another name. */
function flushing(
  name: string,
): Operation<Descriptor, [state: SendState, options?: WaitOptions], SendState, undefined> {
  return {
    name,
    direction: "write",
    prepare: (_d, state) => state,
    options: (_state, options) => options,
    attempt: (d, state) => calls.sendAll(d.stream(name, "write"), state, name),
  };
}

/** `write` sending what no longer fits in the write buffer. */
export const WRITE_THROUGH = flushing("write");
/** `flush` (and `close`) sending the write buffer. */
export const FLUSH = flushing("flush");

/** An unbuffered file's `write(data)`: one `send`, returning how many bytes it accepted. */
export const RAW_WRITE: Operation<
  Descriptor,
  [data: Uint8Array, options?: WaitOptions],
  Uint8Array,
  number
> = {
  name: "write",
  direction: "write",
  prepare: (_d, data) => data,
  options: (_data, options) => options,
  attempt: (d, data) => calls.send(d.stream("write", "write"), data, "write"),
};

/** The error of a call on a closed file object. */
export function closedFileError(op: string): SocketError {
  return new SocketError("EBADF", { op }, "the file object is closed");
}
