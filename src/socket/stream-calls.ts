/**
 * The calls tried on a stream transport, as the operations table runs them (see policy.ts): each
 * returns a result, throws, or returns NOT_READY having consumed nothing, so a timeout, an abort
 * or a non-blocking miss never loses data. Reads see buffered data first, then the pending
 * error, then end of stream, as Linux's `recv` does. While the stream is still connecting,
 * every call is NOT_READY.
 */

import { BrokenPipeError, IncompleteReadError, LimitOverrunError } from "../core/errors.js";
import { NOT_READY } from "./operation.js";
import type { RecvBuffer } from "./recv-buffer.js";
import type { SendAllState, Transport } from "./transport.js";

/** `sendAll` copies data up to this size (and resolves at once) instead of lending it. */
export const SMALL_WRITE = 16 * 1024;

/** What the calls use of the stream transport (stream.ts), which passes itself. */
export interface Stream extends Transport {
  readonly state: "connecting" | "open" | "failed";
  readonly rx: RecvBuffer;
  readonly eof: boolean;
  readonly writeShut: boolean;
  readonly sndbuf: number;
  readonly queued: number;
  readonly completed: number;
  readonly socket: { readonly destroyed: boolean };
  /** Starts reading from the kernel again if the buffer has room. */
  refill(): void;
  /** Lends `chunk` to the kernel; returns the write position where it ends. */
  write(chunk: Uint8Array): number;
  /** Writes a copy of `data`. */
  writeCopy(data: Uint8Array): void;
}

/** Up to `n` bytes (a copy if `peek`); empty at end of stream. */
export function recv(
  stream: Stream,
  n: number,
  peek: boolean,
  op: string,
): Buffer | typeof NOT_READY {
  if (stream.state === "connecting") return NOT_READY;
  const rx = stream.rx;
  if (rx.length > 0) {
    if (peek) return rx.peek(n);
    const out = rx.read(n);
    stream.refill();
    return out;
  }
  return ended(stream, op) ? EMPTY : NOT_READY;
}

/** Up to `n` bytes into `target`; 0 at end of stream. */
export function recvInto(
  stream: Stream,
  target: Uint8Array,
  n: number,
  op: string,
): number | typeof NOT_READY {
  if (stream.state === "connecting") return NOT_READY;
  const rx = stream.rx;
  if (rx.length > 0) {
    const count = rx.readInto(target, 0, n);
    stream.refill();
    return count;
  }
  return ended(stream, op) ? 0 : NOT_READY;
}

/** Exactly `n` bytes, or IncompleteReadError with what was left at end of stream. */
export function recvExactly(stream: Stream, n: number, op: string): Buffer | typeof NOT_READY {
  if (stream.state === "connecting") return NOT_READY;
  const rx = stream.rx;
  if (rx.length >= n) {
    const out = rx.read(n);
    stream.refill();
    return out;
  }
  if (!ended(stream, op)) return NOT_READY;
  throw new IncompleteReadError(rx.read(rx.length), n, { op, address: stream.label });
}

/**
 * Bytes up to and including `delimiter`. `scan.next` carries, between attempts, where the next
 * search starts (as a {@link RecvBuffer.consumed} position, so it stays right when other reads
 * take bytes meanwhile), so no byte is searched twice.
 */
export function recvUntil(
  stream: Stream,
  delimiter: Uint8Array,
  maxBytes: number,
  scan: { next: number },
  op: string,
): Buffer | typeof NOT_READY {
  if (stream.state === "connecting") return NOT_READY;
  const rx = stream.rx;
  const at = rx.indexOf(delimiter, Math.max(0, scan.next - rx.consumed));
  if (at >= 0) {
    const end = at + delimiter.length;
    if (end > maxBytes) throw new LimitOverrunError(at, maxBytes, { op, address: stream.label });
    const out = rx.read(end);
    stream.refill();
    return out;
  }
  if (rx.length >= maxBytes) {
    throw new LimitOverrunError(rx.length, maxBytes, { op, address: stream.label });
  }
  scan.next = rx.consumed + Math.max(0, rx.length - delimiter.length + 1);
  if (!ended(stream, op)) return NOT_READY;
  throw new IncompleteReadError(rx.read(rx.length), null, { op, address: stream.label });
}

/** With nothing buffered: raises the pending error, or true at end of stream. */
export function ended(stream: Stream, op: string): boolean {
  if (stream.pending !== null) throw stream.takeError(op);
  return stream.eof;
}

/** Accepts as many bytes as the send buffer has room for (a copy), at least 1. */
export function send(stream: Stream, data: Uint8Array, op: string): number | typeof NOT_READY {
  if (stream.state === "connecting") return NOT_READY;
  checkWritable(stream, op);
  if (data.length === 0) return 0;
  const room = stream.sndbuf - stream.queued;
  if (room <= 0) return NOT_READY;
  const n = Math.min(room, data.length);
  stream.write(Buffer.from(data.subarray(0, n)));
  return n;
}

/**
 * The common case of `sendAll`, tried before the wait policy: a small `data` that fits in the
 * send buffer of an open, healthy stream is copied in. False means "take the general path".
 */
export function sendSmall(stream: Stream, data: Uint8Array): boolean {
  if (stream.pending !== null || stream.writeShut || stream.state !== "open") return false;
  if (data.length > SMALL_WRITE || stream.socket.destroyed) return false;
  if (stream.queued + data.length > stream.sndbuf) return false;
  stream.writeCopy(data);
  return true;
}

/** Hands `data` to Node as the send buffer makes room; done once the kernel took it all. */
export function sendAll(
  stream: Stream,
  state: SendAllState,
  op: string,
): undefined | typeof NOT_READY {
  if (stream.state === "connecting") return NOT_READY;
  checkWritable(stream, op);
  const { data } = state;
  if (
    state.sent === 0 &&
    data.length <= SMALL_WRITE &&
    stream.queued + data.length <= stream.sndbuf
  ) {
    // Small: copy it into the send buffer and be done (the kernel takes it this tick).
    stream.writeCopy(data);
    state.sent = data.length;
    return undefined;
  }
  while (state.sent < data.length) {
    const room = stream.sndbuf - stream.queued;
    if (room <= 0) return NOT_READY;
    const n = Math.min(room, data.length - state.sent);
    // Lent, not copied: the call returns only once the kernel has these bytes.
    state.lastWrite = stream.write(data.subarray(state.sent, state.sent + n));
    state.sent += n;
  }
  if (stream.queued === 0 || stream.completed >= state.lastWrite) return undefined;
  return NOT_READY;
}

/** Raises the pending error, or EPIPE once the write side is shut. */
export function checkWritable(stream: Stream, op: string): void {
  if (stream.pending !== null) throw stream.takeError(op);
  if (stream.writeShut || stream.socket.destroyed) {
    throw new BrokenPipeError("EPIPE", { op, address: stream.label });
  }
}

const EMPTY = Buffer.alloc(0);
