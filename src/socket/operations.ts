/**
 * The operations table: every call of a socket that can wait, each in one entry with its
 * argument checks, its direction and its attempt (see policy.ts for how an entry is run: one
 * try, then the socket's mode decides). Each attempt is a few lines over the transport's own
 * calls (stream-calls.ts, listener.ts), as CPython keeps `sock_recv`, `sock_recv_guts` and
 * `sock_recv_impl` side by side. The `Socket` methods of the same names run these entries, so a
 * new operation is one entry here plus its method and its tests.
 *
 * Arguments follow Python where it is unambiguous: `recv(n, flags)`, `recvInto(buf, nbytes,
 * flags)`, `send(data, flags)` and `sendAll(data, flags)` take `flags` as a number in the
 * position Python gives it; the per-call options object always comes last.
 */

import { checkSize, describe, isSize, toBytes } from "../core/checks.js";
import { MSG_PEEK, SOMAXCONN } from "../core/constants.js";
import { SocketError } from "../core/errors.js";
import type { Address, AddressInput, Endpoint } from "../net/address.js";
import { NOT_READY, type Operation, type WaitOptions } from "./operation.js";
import type { Direction, PollDesc } from "./policy.js";
import type { ByteStream, SendAllState } from "./transport.js";

/**
 * What the operations' checks and attempts ask of a socket's insides: the async flavour's
 * descriptor (descriptor.ts) and the synchronous one's both answer it.
 */
export interface SocketCore extends PollDesc {
  readonly family: number;
  /** Checks `address` for the socket's family. */
  endpoint(address: unknown, op: string): Endpoint;
  /** Throws EINVAL unless the socket is listening. */
  listening(op: string): void;
  /** SO_RCVBUF in bytes. */
  receiveBufferSize(): number;
  /** The byte stream sending and receiving calls work on; ENOTCONN or EPIPE without one. */
  stream(op: string, direction: Direction): ByteStream;
  /** The byte stream, if the socket is connected (for calls that skip the policy). */
  openStream(): ByteStream | undefined;
  bind(endpoint: Endpoint): undefined | typeof NOT_READY;
  listen(backlog: number): undefined | typeof NOT_READY;
  accept(op: string): [SocketCore, Address] | typeof NOT_READY;
  /** EMFILE or ENFILE when no descriptor is left for a non-blocking `accept` that missed. */
  exhaustion(op: string): Error | undefined;
  connect(call: ConnectCall): undefined | typeof NOT_READY;
  cancelConnect(call: ConnectCall): void;
}

/** One `connect` call: where to, and whether it has started or joined an attempt yet. */
export interface ConnectCall {
  readonly endpoint: Endpoint;
  /** `""` until the first try; then the code of a non-blocking miss: `EINPROGRESS` for the
   * call that started the attempt, `EALREADY` for one that found it under way. */
  joined: "" | "EINPROGRESS" | "EALREADY";
}

/** An operation of the table: it runs on a socket's insides. */
export type SocketOperation<Args extends unknown[], P, R> = Operation<SocketCore, Args, P, R>;

/** Options of `recv`, `recvInto`: `flags` may be `MSG_PEEK`. */
export interface RecvOptions extends WaitOptions {
  /** `MSG_PEEK` returns the data without consuming it; `0` is the default. */
  flags?: number | undefined;
}

/** Options of `recvUntil`. */
export interface RecvUntilOptions extends WaitOptions {
  /** Most bytes the answer may have, delimiter included (default 65536, asyncio's limit). */
  maxBytes?: number | undefined;
}

/** Bytes to send: a `Uint8Array` (a `Buffer` is one) or a string, sent as UTF-8. */
export type Data = Uint8Array | string;

/** Makes the public socket object of a descriptor `accept` made (each flavour has its own). */
export type Adopt<S, D = SocketCore> = (descriptor: D) => S;

/** `listen`'s default backlog (CPython's: min(128, SOMAXCONN)). */
const DEFAULT_BACKLOG = Math.min(128, SOMAXCONN);

/** `recvUntil`'s default `maxBytes`, asyncio's limit. */
const DEFAULT_MAX_BYTES = 65536;

// --- connecting and listening ----------------------------------------------------------------

/** `bind(address)`: records the local address (the OS socket is made by `listen`/`connect`). */
export const BIND: SocketOperation<[address: AddressInput], Endpoint, undefined> = {
  name: "bind",
  direction: "write",
  ignoresMode: true,
  prepare: (d, address) => d.endpoint(address, "bind"),
  options: () => undefined,
  attempt: (d, endpoint) => d.bind(endpoint),
};

/** `listen(backlog?)`: starts listening; waits until the OS has bound the address. */
export const LISTEN: SocketOperation<[backlog?: number], number, undefined> = {
  name: "listen",
  direction: "write",
  ignoresMode: true,
  prepare: (_d, backlog = DEFAULT_BACKLOG) => {
    if (typeof backlog !== "number" || !Number.isInteger(backlog)) {
      throw new TypeError(`listen(): backlog must be an integer, got ${describe(backlog)}`);
    }
    return Math.max(1, Math.min(backlog, SOMAXCONN));
  },
  options: () => undefined,
  attempt: (d, backlog) => d.listen(backlog),
};

/** `accept(options?)`: the oldest pending connection as a new socket and its peer's address. */
export const ACCEPT: SocketOperation<
  [adopt: Adopt<unknown>, options?: WaitOptions],
  Adopt<unknown>,
  [unknown, Address]
> = {
  name: "accept",
  direction: "read",
  prepare: (d, adopt) => {
    d.listening("accept");
    return adopt;
  },
  options: (_adopt, options) => options,
  attempt: (d, adopt) => {
    const accepted = d.accept("accept");
    if (accepted === NOT_READY) return NOT_READY;
    return [adopt(accepted[0]), accepted[1]];
  },
  missedWith: (d) => d.exhaustion("accept"),
};

/** `connect(address, options?)`: waits until connected; a timeout or abort cancels it. */
export const CONNECT: SocketOperation<
  [address: AddressInput, options?: WaitOptions],
  ConnectCall,
  undefined
> = {
  name: "connect",
  direction: "write",
  prepare: (d, address) => ({ endpoint: d.endpoint(address, "connect"), joined: "" }),
  options: (_address, options) => options,
  attempt: (d, call) => d.connect(call),
  notReadyCode: (call) => call.joined,
  gaveUp: (d, call) => d.cancelConnect(call),
};

// --- sending -----------------------------------------------------------------------------------

/** `send(data, flags?, options?)`: as many bytes as the send buffer has room for, at least 1. */
export const SEND: SocketOperation<
  [data: Data, flags?: number | WaitOptions, options?: WaitOptions],
  Uint8Array,
  number
> = {
  name: "send",
  direction: "write",
  prepare: (_d, data, flags) => {
    checkSendFlags(flags, "send");
    return toBytes(data, "send(): data");
  },
  options: lastOptions,
  attempt: (d, bytes) => d.stream("send", "write").send(bytes, "send"),
};

/** `sendAll(data, flags?, options?)`: everything; on failure the error carries `bytesSent`. */
export const SEND_ALL: SocketOperation<
  [data: Data, flags?: number | WaitOptions, options?: WaitOptions],
  SendAllState,
  undefined
> = {
  name: "sendAll",
  direction: "write",
  quick: (d, [data, flags, options]) => {
    // A small send that fits in the send buffer of an open socket, with no per-call options or
    // write deadline, can neither wait nor fail: it needs none of the policy.
    if (flags !== undefined || options !== undefined || d.closed) return NOT_READY;
    if (d.deadline("write") !== null || !(data instanceof Uint8Array)) return NOT_READY;
    return d.openStream()?.sendSmall(data) === true ? undefined : NOT_READY;
  },
  prepare: (_d, data, flags) => {
    checkSendFlags(flags, "sendAll");
    return { data: toBytes(data, "sendAll(): data"), sent: 0, lastWrite: 0 };
  },
  options: lastOptions,
  attempt: (d, state) => d.stream("sendAll", "write").sendAll(state, "sendAll"),
  failed: (error, state) => {
    if (typeof error === "object" && error !== null && Object.isExtensible(error)) {
      (error as { bytesSent?: number }).bytesSent = state.sent;
    }
  },
};

// --- receiving ---------------------------------------------------------------------------------

/**
 * The stream a plain receive (no flags or options) may use without the policy: that of an open
 * socket with no read deadline, if the receive needs no wait (see `ByteStream.receivesNow`).
 */
function quickStream(d: SocketCore): ByteStream | undefined {
  if (d.closed || d.deadline("read") !== null) return undefined;
  const stream = d.openStream();
  return stream?.receivesNow(d.timeout === null) === true ? stream : undefined;
}

/** A receive that peeks (MSG_PEEK): rare, so only it allocates. */
interface Peek {
  readonly peek: number;
}

/** `recv(bufsize, flags?, options?)`: up to `bufsize` bytes; empty only at end of stream. */
export const RECV: SocketOperation<
  [bufsize: number, flags?: number | RecvOptions, options?: RecvOptions],
  number | Peek,
  Buffer
> = {
  name: "recv",
  direction: "read",
  quick: (d, [bufsize, flags, options]) => {
    if (flags !== undefined || options !== undefined) return NOT_READY;
    if (!isSize(bufsize) || bufsize === 0) return NOT_READY;
    return quickStream(d)?.recv(bufsize, false, "recv") ?? NOT_READY;
  },
  prepare: (_d, bufsize, flags, options) => {
    const n = checkSize(bufsize, "recv(): bufsize");
    return recvFlags(flags, options, "recv") ? { peek: n } : n;
  },
  options: lastOptions,
  attempt: (d, arg) => {
    const stream = d.stream("recv", "read");
    if (typeof arg === "number") {
      return arg === 0 ? EMPTY : stream.recv(arg, false, "recv");
    }
    return arg.peek === 0 ? EMPTY : stream.recv(arg.peek, true, "recv");
  },
};

/** What `recvInto` fills. */
interface IntoCall {
  readonly buffer: Uint8Array;
  readonly n: number;
  readonly peek: boolean;
}

/** `recvInto(buffer, nbytes?, flags?, options?)`: fills `buffer`; 0 only at end of stream. */
export const RECV_INTO: SocketOperation<
  [
    buffer: Uint8Array,
    nbytes?: number | RecvOptions,
    flags?: number | RecvOptions,
    options?: RecvOptions,
  ],
  IntoCall,
  number
> = {
  name: "recvInto",
  direction: "read",
  quick: (d, [buffer, nbytes, flags, options]) => {
    if (nbytes !== undefined || flags !== undefined || options !== undefined) return NOT_READY;
    if (!(buffer instanceof Uint8Array) || buffer.length === 0) return NOT_READY;
    return quickStream(d)?.recvInto(buffer, buffer.length, "recvInto") ?? NOT_READY;
  },
  prepare: (_d, buffer, nbytes, flags, options) => {
    if (!(buffer instanceof Uint8Array)) {
      throw new TypeError(`recvInto(): buffer must be a Uint8Array, got ${describe(buffer)}`);
    }
    let n = buffer.length;
    if (typeof nbytes === "object") {
      [flags, options] = [nbytes, undefined];
    } else if (nbytes !== undefined && nbytes !== 0) {
      n = checkSize(nbytes, "recvInto(): nbytes");
      if (n > buffer.length) {
        throw new RangeError(
          `recvInto(): nbytes ${n} is larger than the buffer (${buffer.length})`,
        );
      }
    }
    return { buffer, n, peek: recvFlags(flags, options, "recvInto") };
  },
  options: lastOptions,
  attempt: (d, call) => {
    const stream = d.stream("recvInto", "read");
    if (call.n === 0) return 0;
    if (!call.peek) return stream.recvInto(call.buffer, call.n, "recvInto");
    const data = stream.recv(call.n, true, "recvInto");
    if (data === NOT_READY) return NOT_READY;
    call.buffer.set(data);
    return data.length;
  },
};

/** A `recvExactly` larger than the receive buffer, which lets the buffer grow while it waits. */
interface LargeExactly {
  readonly n: number;
  release: (() => void) | undefined;
}

/** `recvExactly(n, options?)`: exactly `n` bytes; consumes nothing unless it succeeds. */
export const RECV_EXACTLY: SocketOperation<
  [n: number, options?: WaitOptions],
  number | LargeExactly,
  Buffer
> = {
  name: "recvExactly",
  direction: "read",
  prepare: (d, n) => {
    checkSize(n, "recvExactly(): n");
    return n <= d.receiveBufferSize() ? n : { n, release: undefined };
  },
  options: (_n, options) => options,
  attempt: (d, arg) => {
    const stream = d.stream("recvExactly", "read");
    if (typeof arg === "number") return stream.recvExactly(arg, "recvExactly");
    const result = stream.recvExactly(arg.n, "recvExactly");
    if (result === NOT_READY) arg.release ??= stream.demand(arg.n);
    return result;
  },
  // A call that gave up without waiting (a non-blocking miss) releases its demand too.
  failed: (_error, arg) => {
    if (typeof arg !== "number") releaseDemand(arg);
  },
  settled: (arg) => {
    if (typeof arg !== "number") releaseDemand(arg);
  },
};

/** What one `recvUntil` carries between attempts. */
interface UntilCall {
  readonly delimiter: Uint8Array;
  readonly maxBytes: number;
  /** Where the next search starts (bytes already searched are not searched again). */
  readonly scan: { next: number };
  release: (() => void) | undefined;
}

/** `recvUntil(delimiter, options?)`: up to and including `delimiter`, within `maxBytes`. */
export const RECV_UNTIL: SocketOperation<
  [delimiter: Data, options?: RecvUntilOptions],
  UntilCall,
  Buffer
> = {
  name: "recvUntil",
  direction: "read",
  prepare: (_d, delimiter, options) => {
    const delim = toBytes(delimiter, "recvUntil(): delimiter");
    if (delim.length === 0) throw new RangeError("recvUntil(): delimiter must not be empty");
    const maxBytes = checkSize(options?.maxBytes ?? DEFAULT_MAX_BYTES, "recvUntil(): maxBytes");
    if (maxBytes < delim.length) {
      throw new RangeError(
        `recvUntil(): maxBytes must be at least the delimiter's length (${delim.length}), got ${maxBytes}`,
      );
    }
    return { delimiter: delim, maxBytes, scan: { next: 0 }, release: undefined };
  },
  options: (_delimiter, options) => options,
  attempt: (d, call) => {
    const stream = d.stream("recvUntil", "read");
    const result = stream.recvUntil(call.delimiter, call.maxBytes, call.scan, "recvUntil");
    if (result === NOT_READY) call.release ??= stream.demand(call.maxBytes);
    return result;
  },
  failed: (_error, call) => releaseDemand(call),
  settled: (call) => releaseDemand(call),
};

/** Lets the receive buffer shrink back once a whole-operation read is over (once). */
function releaseDemand(call: { release: (() => void) | undefined }): void {
  const release = call.release;
  call.release = undefined;
  release?.();
}

/** Every entry, for code that goes over all of them (tests, the synchronous flavour). */
export const OPERATIONS = {
  bind: BIND,
  listen: LISTEN,
  accept: ACCEPT,
  connect: CONNECT,
  send: SEND,
  sendAll: SEND_ALL,
  recv: RECV,
  recvInto: RECV_INTO,
  recvExactly: RECV_EXACTLY,
  recvUntil: RECV_UNTIL,
} as const;

const EMPTY = Buffer.alloc(0);

/** The options object: the last argument that is an object (flags, when given, are numbers). */
export function lastOptions(...args: unknown[]): unknown {
  for (let i = args.length - 1; i >= 1; i--) {
    const arg = args[i];
    if (arg !== undefined && typeof arg !== "number") return arg;
  }
  return undefined;
}

/** Python's `flags` argument of `send`/`sendAll`: only 0 is supported. */
export function checkSendFlags(flags: unknown, op: string): void {
  if (flags === undefined || flags === 0 || typeof flags === "object") return;
  if (typeof flags !== "number" || !Number.isInteger(flags)) {
    throw new TypeError(
      `${op}(): the second argument must be flags (an integer) or an options object, got ${describe(flags)}`,
    );
  }
  throw new SocketError("EOPNOTSUPP", { op }, `unsupported flags ${flags} (only 0)`);
}

/** Python's `flags` of `recv`/`recvInto`, positional or in the options: true for MSG_PEEK. */
function recvFlags(flags: unknown, options: unknown, op: string): boolean {
  let value = flags;
  if (typeof flags === "object" && flags !== null) value = (flags as RecvOptions).flags;
  else if (flags === undefined && typeof options === "object" && options !== null) {
    value = (options as RecvOptions).flags;
  }
  if (value === undefined || value === 0) return false;
  if (value === MSG_PEEK) return true;
  if (!isSize(value)) {
    throw new TypeError(`${op}(): flags must be 0 or MSG_PEEK, got ${describe(value)}`);
  }
  throw new SocketError("EOPNOTSUPP", { op }, `unsupported flags ${value} (only MSG_PEEK)`);
}
