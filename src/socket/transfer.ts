/**
 * Moving bytes: the send and receive operations of a stream socket. Each checks its arguments,
 * then runs its attempt through the one wait policy (`perform`); the Socket methods of the same
 * names are these functions.
 */

import { MSG_PEEK } from "../core/constants.js";
import { SocketError } from "../core/errors.js";
import { typeName } from "../net/address.js";
import {
  recvExactlyFrom,
  recvSome,
  recvSomeInto,
  recvUntilFrom,
  type SendAllState,
  sendAllSome,
  sendSmall,
  sendSome,
} from "./attempts.js";
import { NOT_READY, perform, performWith, type Waitable, type WaitOptions } from "./policy.js";
import type { Data, RecvOptions, RecvUntilOptions } from "./socket.js";
import type { Stream } from "./stream.js";

/** What the operations need from a socket beyond the wait policy. */
export interface Transferring extends Waitable {
  /** The stream to read from; NOT_READY while connecting; throws ENOTCONN without one. */
  reader(op: string): Stream | typeof NOT_READY;
  /** The stream to write to; NOT_READY while connecting; throws EPIPE without one. */
  writer(op: string): Stream | typeof NOT_READY;
  /** The stream, if a send needs none of the policy (open socket, no write deadline). */
  quickWriter(): Stream | undefined;
  /** SO_RCVBUF in bytes. */
  receiveBufferSize(): number;
}

const DEFAULT_MAX_BYTES = 65536;

// The hot attempts as plain functions of (socket, argument): a waiting call allocates no closure.
function tryRecvExactly(sock: Transferring, n: number): Buffer | typeof NOT_READY {
  const stream = sock.reader("recvExactly");
  return stream === NOT_READY ? NOT_READY : recvExactlyFrom(stream, n, "recvExactly");
}

function tryRecv(sock: Transferring, bufsize: number): Buffer | typeof NOT_READY {
  const stream = sock.reader("recv");
  if (stream === NOT_READY) return NOT_READY;
  return bufsize === 0 ? Buffer.alloc(0) : recvSome(stream, bufsize, false, "recv");
}
const RESOLVED: Promise<void> = Promise.resolve();

function quickSend(sock: Transferring, bytes: Uint8Array): boolean {
  const stream = sock.quickWriter();
  return stream !== undefined && sendSmall(stream, bytes);
}

/** Sends as many bytes as the send buffer has room for (at least 1 once ready); returns the count. */
export function send(sock: Transferring, data: Data, options?: WaitOptions): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = toBytes(data, "send");
  } catch (error) {
    return Promise.reject(error);
  }
  return perform(
    sock,
    "send",
    "write",
    () => {
      const stream = sock.writer("send");
      if (stream === NOT_READY) return NOT_READY;
      if (bytes.length === 0) return 0;
      return sendSome(stream, bytes, "send");
    },
    options,
  );
}

/**
 * Sends all of `data`. Up to 16 KiB that fits in the send buffer is copied into it and the call
 * resolves at once (small messages of one tick leave together); larger data is lent to the
 * kernel without a copy and the call resolves once the kernel has taken it all, so do not
 * modify `data` until it settles. On failure the error carries `bytesSent`: how many bytes were
 * accepted (they stay queued and will be sent).
 */
export function sendAll(sock: Transferring, data: Data, options?: WaitOptions): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = toBytes(data, "sendAll");
  } catch (error) {
    return Promise.reject(error);
  }
  // Fast path: with no per-call options and no write deadline, a small send that fits needs
  // none of the policy (it cannot fail, wait or time out).
  if (options === undefined && quickSend(sock, bytes)) return RESOLVED;
  const state: SendAllState = { data: bytes, sent: 0, lastWrite: 0 };
  const attempt = (): undefined | typeof NOT_READY => {
    const stream = sock.writer("sendAll");
    if (stream === NOT_READY) return NOT_READY;
    return sendAllSome(stream, state, "sendAll") === NOT_READY ? NOT_READY : undefined;
  };
  return perform(sock, "sendAll", "write", attempt, options, {
    onError: (error) => {
      if (typeof error === "object" && error !== null && Object.isExtensible(error)) {
        (error as { bytesSent?: number }).bytesSent = state.sent;
      }
    },
  });
}

/** Up to `bufsize` bytes; an empty Buffer only at end of stream. `flags` may be MSG_PEEK. */
export function recv(sock: Transferring, bufsize: number, options?: RecvOptions): Promise<Buffer> {
  let peek: boolean;
  try {
    checkSize(bufsize, "recv", "bufsize");
    peek = checkFlags(options?.flags, "recv");
  } catch (error) {
    return Promise.reject(error);
  }
  if (!peek) return performWith(sock, "recv", "read", tryRecv, bufsize, options);
  return perform(
    sock,
    "recv",
    "read",
    () => {
      const stream = sock.reader("recv");
      if (stream === NOT_READY) return NOT_READY;
      return bufsize === 0 ? Buffer.alloc(0) : recvSome(stream, bufsize, true, "recv");
    },
    options,
  );
}

/** Fills `buffer` (up to `nbytes`, default its length); the count, 0 only at end of stream. */
export function recvInto(
  sock: Transferring,
  buffer: Uint8Array,
  nbytes?: number | RecvOptions,
  options?: RecvOptions,
): Promise<number> {
  if (typeof nbytes === "object") {
    options = nbytes;
    nbytes = undefined;
  }
  let n: number;
  let peek: boolean;
  try {
    if (!(buffer instanceof Uint8Array)) {
      throw new TypeError(`recvInto(): buffer must be a Uint8Array, got ${typeName(buffer)}`);
    }
    n =
      nbytes === undefined || nbytes === 0
        ? buffer.length
        : checkSize(nbytes, "recvInto", "nbytes");
    if (n > buffer.length) {
      throw new RangeError(`recvInto(): nbytes ${n} is larger than the buffer (${buffer.length})`);
    }
    peek = checkFlags(options?.flags, "recvInto");
  } catch (error) {
    return Promise.reject(error);
  }
  if (peek) {
    return recv(sock, n, options).then((data) => {
      buffer.set(data);
      return data.length;
    });
  }
  return perform(
    sock,
    "recvInto",
    "read",
    () => {
      const stream = sock.reader("recvInto");
      if (stream === NOT_READY) return NOT_READY;
      if (n === 0) return 0;
      return recvSomeInto(stream, buffer, n, "recvInto");
    },
    options,
  );
}

/**
 * Exactly `n` bytes. If the stream ends first: IncompleteReadError with the bytes that were
 * left (consumed). On timeout or abort nothing is consumed.
 */
export function recvExactly(sock: Transferring, n: number, options?: WaitOptions): Promise<Buffer> {
  try {
    checkSize(n, "recvExactly", "n");
  } catch (error) {
    return Promise.reject(error);
  }
  if (n <= sock.receiveBufferSize()) {
    return performWith(sock, "recvExactly", "read", tryRecvExactly, n, options);
  }
  // More than the receive buffer holds: let it grow to `n` while this call waits.
  let release: (() => void) | undefined;
  const attempt = (): Buffer | typeof NOT_READY => {
    const stream = sock.reader("recvExactly");
    if (stream === NOT_READY) return NOT_READY;
    const result = recvExactlyFrom(stream, n, "recvExactly");
    if (result === NOT_READY && release === undefined) release = stream.demand(n);
    return result;
  };
  return perform(sock, "recvExactly", "read", attempt, options, {
    onSettle: () => release?.(),
  });
}

/**
 * Bytes up to and including `delimiter`. LimitOverrunError if it is not within `maxBytes`
 * (nothing consumed); IncompleteReadError if the stream ends first (the rest is consumed).
 */
export function recvUntil(
  sock: Transferring,
  delimiter: Data,
  options?: RecvUntilOptions,
): Promise<Buffer> {
  let delim: Uint8Array;
  let maxBytes: number;
  try {
    delim = toBytes(delimiter, "recvUntil");
    if (delim.length === 0) throw new RangeError("recvUntil(): delimiter must not be empty");
    maxBytes = checkSize(options?.maxBytes ?? DEFAULT_MAX_BYTES, "recvUntil", "maxBytes");
    if (maxBytes < delim.length) {
      throw new RangeError("recvUntil(): maxBytes must be at least the delimiter's length");
    }
  } catch (error) {
    return Promise.reject(error);
  }
  const scan = { from: 0 };
  let release: (() => void) | undefined;
  const attempt = (): Buffer | typeof NOT_READY => {
    const stream = sock.reader("recvUntil");
    if (stream === NOT_READY) return NOT_READY;
    const result = recvUntilFrom(stream, delim, maxBytes, scan, "recvUntil");
    if (result === NOT_READY && release === undefined) release = stream.demand(maxBytes);
    return result;
  };
  return perform(sock, "recvUntil", "read", attempt, options, {
    onSettle: () => release?.(),
  });
}

export function toBytes(data: unknown, op: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return Buffer.from(data, "utf8");
  throw new TypeError(`${op}(): data must be a Uint8Array or a string, got ${typeName(data)}`);
}

function checkSize(value: unknown, op: string, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${op}(): ${name} must be an integer, got ${typeName(value)}`);
  }
  if (value < 0) throw new RangeError(`${op}(): ${name} must be >= 0, got ${value}`);
  return value;
}

function checkFlags(flags: unknown, op: string): boolean {
  if (flags === undefined || flags === 0) return false;
  if (flags === MSG_PEEK) return true;
  throw new SocketError("EOPNOTSUPP", { op }, `unsupported flags ${String(flags)} (only MSG_PEEK)`);
}
