/**
 * The error classes, and the tables that map an errno name to its number and text (`ERRNO`)
 * and to the class Python raises for it (`CLASS_OF`).
 *
 * Every socket error carries `code` (the errno name, e.g. `"ECONNREFUSED"`), `errno` (Linux's
 * number), `op` (the call that failed, e.g. `"connect"`) and, where there is one, `address` (the
 * address the call was about, formatted as `host:port`, `[v6]:port` or a path).
 *
 * @module
 */

import { checkOptions, describe as show } from "./checks.js";

/** What a socket error knows about where it happened. */
export interface SocketErrorOptions {
  /** The operation that failed, e.g. `"recv"`. */
  op?: string | undefined;
  /** The address the operation was about, already formatted. */
  address?: string | undefined;
  /** The underlying error, if any. */
  cause?: unknown;
}

interface ErrnoEntry {
  readonly errno: number;
  readonly text: string;
}

/** errno name → Linux number and strerror text (lower case, as Go prints it). */
const ERRNO: Readonly<Record<string, ErrnoEntry>> = {
  EPERM: { errno: 1, text: "operation not permitted" },
  ENOENT: { errno: 2, text: "no such file or directory" },
  EINTR: { errno: 4, text: "interrupted system call" },
  EBADF: { errno: 9, text: "bad file descriptor" },
  EBUSY: { errno: 16, text: "device or resource busy" },
  EAGAIN: { errno: 11, text: "resource temporarily unavailable" },
  ENOMEM: { errno: 12, text: "cannot allocate memory" },
  EACCES: { errno: 13, text: "permission denied" },
  ENODEV: { errno: 19, text: "no such device" },
  EINVAL: { errno: 22, text: "invalid argument" },
  EMFILE: { errno: 24, text: "too many open files" },
  EPIPE: { errno: 32, text: "broken pipe" },
  ENAMETOOLONG: { errno: 36, text: "file name too long" },
  ENOTSOCK: { errno: 88, text: "socket operation on non-socket" },
  EDESTADDRREQ: { errno: 89, text: "destination address required" },
  EMSGSIZE: { errno: 90, text: "message too long" },
  ENOPROTOOPT: { errno: 92, text: "protocol not available" },
  EOPNOTSUPP: { errno: 95, text: "operation not supported" },
  EAFNOSUPPORT: { errno: 97, text: "address family not supported by protocol" },
  EADDRINUSE: { errno: 98, text: "address already in use" },
  EADDRNOTAVAIL: { errno: 99, text: "cannot assign requested address" },
  ENETDOWN: { errno: 100, text: "network is down" },
  ENETUNREACH: { errno: 101, text: "network is unreachable" },
  ECONNABORTED: { errno: 103, text: "software caused connection abort" },
  ECONNRESET: { errno: 104, text: "connection reset by peer" },
  ENOBUFS: { errno: 105, text: "no buffer space available" },
  EISCONN: { errno: 106, text: "transport endpoint is already connected" },
  ENOTCONN: { errno: 107, text: "transport endpoint is not connected" },
  ESHUTDOWN: { errno: 108, text: "cannot send after transport endpoint shutdown" },
  ETIMEDOUT: { errno: 110, text: "timed out" },
  ECONNREFUSED: { errno: 111, text: "connection refused" },
  EHOSTDOWN: { errno: 112, text: "host is down" },
  EHOSTUNREACH: { errno: 113, text: "no route to host" },
  EALREADY: { errno: 114, text: "operation already in progress" },
  EINPROGRESS: { errno: 115, text: "operation now in progress" },
  ECANCELED: { errno: 125, text: "operation canceled" },
  // getaddrinfo's codes, with glibc's (negative) numbers.
  EAI_BADFLAGS: { errno: -1, text: "bad value for ai_flags" },
  EAI_NONAME: { errno: -2, text: "name or service not known" },
  EAI_AGAIN: { errno: -3, text: "temporary failure in name resolution" },
  EAI_FAIL: { errno: -4, text: "non-recoverable failure in name resolution" },
  EAI_NODATA: { errno: -5, text: "no address associated with hostname" },
  EAI_FAMILY: { errno: -6, text: "address family not supported" },
  EAI_SOCKTYPE: { errno: -7, text: "socket type not supported" },
  EAI_SERVICE: { errno: -8, text: "servname not supported for ai_socktype" },
  EAI_ADDRFAMILY: { errno: -9, text: "address family for hostname not supported" },
  EAI_MEMORY: { errno: -10, text: "memory allocation failure" },
  EAI_SYSTEM: { errno: -11, text: "system error" },
};

/** Node.js's resolver codes → the getaddrinfo code Python would report. */
const NODE_DNS_CODES: Readonly<Record<string, string>> = {
  ENOTFOUND: "EAI_NONAME",
  ENODATA: "EAI_NODATA",
  EAI_NODATA: "EAI_NODATA",
  ESERVFAIL: "EAI_FAIL",
  ETIMEOUT: "EAI_AGAIN",
  EBADFAMILY: "EAI_FAMILY",
  EBADNAME: "EAI_NONAME",
  EBADFLAGS: "EAI_BADFLAGS",
  EADDRGETNETWORKPARAMS: "EAI_SYSTEM",
};

/** A socket error's constructor arguments, checked so that a bad one is a clear TypeError. */
function checkErrorArguments(
  Class: { readonly name: string },
  code: unknown,
  options: unknown,
  reason: unknown,
): void {
  // The common case in a few comparisons: the library builds errors on hot paths (misses).
  if (
    typeof code === "string" &&
    typeof options === "object" &&
    options !== null &&
    !Array.isArray(options) &&
    isOptionalString((options as SocketErrorOptions).op) &&
    isOptionalString((options as SocketErrorOptions).address) &&
    isOptionalString(reason)
  ) {
    return;
  }
  const name = Class.name;
  if (typeof code !== "string") {
    throw new TypeError(`${name}(): code must be an errno name (a string), got ${show(code)}`);
  }
  const fields = checkOptions<Record<string, unknown>>(options, `${name}(): options`) ?? {};
  for (const field of ["op", "address"]) {
    const value = fields[field];
    if (value !== undefined && typeof value !== "string") {
      throw new TypeError(`${name}(): options.${field} must be a string, got ${show(value)}`);
    }
  }
  if (reason !== undefined && typeof reason !== "string") {
    throw new TypeError(`${name}(): reason must be a string, got ${show(reason)}`);
  }
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}

/** The Linux errno number for an errno name, or `undefined` if the name is unknown. */
export function errnoOf(code: string): number | undefined {
  return ERRNO[code]?.errno;
}

function describe(code: string): string {
  return ERRNO[code]?.text ?? code;
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The message's first part for each errno name used without a reason of its own. */
const SENTENCES = new Map<string, string>();

function sentenceOf(code: string, reason: string | undefined): string {
  if (reason !== undefined) return sentence(reason);
  let text = SENTENCES.get(code);
  if (text === undefined) {
    text = sentence(describe(code));
    SENTENCES.set(code, text);
  }
  return text;
}

/** The class {@link nameOf} saw last, and its name. */
let namedClass: { readonly name: string } | undefined;
let className = "";

/**
 * A class's name, remembered for the class seen last: reading a class's `name` is a call into
 * V8's runtime, and a selector loop makes one `BlockingIOError` after another.
 */
function nameOf(Class: { readonly name: string }): string {
  if (Class !== namedClass) {
    namedClass = Class;
    className = Class.name;
  }
  return className;
}

/** Python's `OSError`: the base class of every socket error. */
export class SocketError extends Error {
  /** The errno name, e.g. `"ECONNRESET"`. */
  readonly code: string;
  /** Linux's errno number, or `undefined` where none exists. */
  readonly errno: number | undefined;
  /** The operation that failed, e.g. `"recv"`. */
  readonly op: string | undefined;
  /** The address the operation was about, formatted, if any. */
  readonly address: string | undefined;
  /** What went wrong, in lower case and without the operation (e.g. `"connection refused"`). */
  readonly reason: string;
  /** For a failed `sendAll`: how many bytes of `data` were accepted (they will still be sent). */
  bytesSent?: number;
  /**
   * For a failed `write` of a file object (`makefile`): how many units of `data` (bytes, or
   * characters of text) the file took; they will still be sent. Write the rest again.
   */
  charactersWritten?: number;

  constructor(code: string, options: SocketErrorOptions = {}, reason?: string) {
    checkErrorArguments(new.target, code, options, reason);
    const errno = errnoOf(code);
    const why = reason ?? describe(code);
    const { op, address } = options;
    // An empty address (an unbound datagram socket's, `getaddrinfo("")`'s) names nothing.
    const shown = address === "" ? undefined : address;
    const where = op === undefined ? (shown ?? "") : shown === undefined ? op : `${op} ${shown}`;
    const first = sentenceOf(code, reason);
    super(
      where === "" ? first : `${first} (${where})`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = nameOf(new.target);
    this.code = code;
    this.errno = errno;
    this.op = op;
    this.address = address;
    this.reason = why;
  }
}

/** A non-blocking call was not ready (`EAGAIN`), or a non-blocking `connect` is under way (`EINPROGRESS`). */
export class BlockingIOError extends SocketError {}

/**
 * The error of a non-blocking miss: a `BlockingIOError` like any other (class, `code`, `errno`,
 * `op`, `address`, `message`), but made without stack frames, its `stack` being its first line.
 * Selector loops meet one at the end of every read and accept burst, as control flow, and V8's
 * stack capture costs more than CPython's whole miss (3-5 µs against 2-4 µs on the benchmark
 * machine; `bench/misses.ts`). A `stackTraceLimit` that is not a number makes V8 skip even
 * looking at the stack, which a limit of 0 does not.
 */
export function wouldBlock(code: string, options: SocketErrorOptions): BlockingIOError {
  const limit = Error.stackTraceLimit;
  let stackless = true;
  try {
    (Error as { stackTraceLimit: unknown }).stackTraceLimit = undefined;
  } catch {
    // Error is frozen (--frozen-intrinsics): capture the stack, as every other error does.
    stackless = false;
  }
  let error: BlockingIOError;
  try {
    error = new BlockingIOError(code, options);
  } finally {
    if (stackless) Error.stackTraceLimit = limit;
  }
  // Written, not read first: reading `stack` is a call into V8's runtime, like writing it.
  if (stackless) error.stack = `BlockingIOError: ${error.message}`;
  return error;
}

/** The call's timeout or deadline passed before it was ready (`code` `"ETIMEDOUT"`). */
export class TimeoutError extends SocketError {
  constructor(options: SocketErrorOptions = {}) {
    super("ETIMEDOUT", options);
  }
}

/** Name resolution failed (Python's `gaierror`); `code` is the `EAI_*` name. */
export class AddressInfoError extends SocketError {}

/** Base of the connection errors. */
export class ConnectionError extends SocketError {}
/** The peer reset the connection (`ECONNRESET`). */
export class ConnectionResetError extends ConnectionError {}
/** Nobody listens at the address (`ECONNREFUSED`). */
export class ConnectionRefusedError extends ConnectionError {}
/** The connection was aborted locally (`ECONNABORTED`). */
export class ConnectionAbortedError extends ConnectionError {}
/** Sending on a connection whose other end is gone (`EPIPE`, `ESHUTDOWN`). */
export class BrokenPipeError extends ConnectionError {}

/** The stream ended before `recvExactly`/`recvUntil` could finish (asyncio's error). */
export class IncompleteReadError extends SocketError {
  /** The bytes that were left when the stream ended (consumed). */
  readonly partial: Buffer;
  /** How many bytes were wanted, or `null` when reading up to a delimiter. */
  readonly expected: number | null;
  constructor(partial: Buffer, expected: number | null, options: SocketErrorOptions = {}) {
    if (!(partial instanceof Uint8Array)) {
      throw new TypeError(`IncompleteReadError(): partial must be a Buffer, got ${show(partial)}`);
    }
    if (expected !== null && (typeof expected !== "number" || !Number.isInteger(expected))) {
      throw new TypeError(
        `IncompleteReadError(): expected must be an integer or null, got ${show(expected)}`,
      );
    }
    super(
      "EOF",
      options,
      `stream ended after ${partial.length} bytes, ${expected === null ? "before the delimiter" : `expected ${expected}`}`,
    );
    this.partial = partial;
    this.expected = expected;
  }
}

/** `recvUntil` found no delimiter within `maxBytes` bytes; nothing was consumed. */
export class LimitOverrunError extends SocketError {
  /** How many bytes were buffered when the limit was overrun. */
  readonly consumed: number;
  constructor(consumed: number, maxBytes: number, options: SocketErrorOptions = {}) {
    for (const [name, value] of [
      ["consumed", consumed],
      ["maxBytes", maxBytes],
    ] as const) {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        throw new TypeError(`LimitOverrunError(): ${name} must be an integer, got ${show(value)}`);
      }
    }
    super("ELIMIT", options, `no delimiter within the first ${maxBytes} bytes`);
    this.consumed = consumed;
  }
}

/** Selectors: the file object is not registered, or is registered twice. */
export class KeyError extends Error {
  constructor(message: string) {
    // Python's KeyError takes any key; render one that is not text.
    super(typeof message === "string" ? message : show(message));
    this.name = "KeyError";
  }
}

type SocketErrorClass = new (code: string, options?: SocketErrorOptions) => SocketError;

/** errno name → the class Python raises for it. */
const CLASS_OF: Readonly<Record<string, SocketErrorClass>> = {
  EAGAIN: BlockingIOError,
  EWOULDBLOCK: BlockingIOError,
  EINPROGRESS: BlockingIOError,
  EALREADY: BlockingIOError,
  ECONNRESET: ConnectionResetError,
  ECONNREFUSED: ConnectionRefusedError,
  ECONNABORTED: ConnectionAbortedError,
  EPIPE: BrokenPipeError,
  ESHUTDOWN: BrokenPipeError,
};

/** Builds the error Python would raise for an errno name. */
export function socketError(code: string, options: SocketErrorOptions = {}): SocketError {
  if (code === "ETIMEDOUT") return new TimeoutError(options);
  if (code.startsWith("EAI_")) return new AddressInfoError(code, options);
  const Class = CLASS_OF[code] ?? SocketError;
  return new Class(code, options);
}

/**
 * The errno name Python would report for whatever Node.js raised: its `code`, with the resolver's
 * codes turned into getaddrinfo's (`ENOTFOUND` → `EAI_NONAME`), or `EIO` when it has none.
 */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return "EIO";
  const syscall = (error as { syscall?: unknown }).syscall;
  const isResolver = typeof syscall === "string" && syscall.startsWith("get");
  return isResolver || code in NODE_DNS_CODES ? (NODE_DNS_CODES[code] ?? code) : code;
}

/**
 * Converts whatever Node.js raised (an `ErrnoException`, a resolver error) into the class Python
 * would raise; anything that is already a {@link SocketError} passes through.
 */
export function fromNodeError(error: unknown, options: SocketErrorOptions): SocketError {
  if (error instanceof SocketError) return error;
  const code = codeOf(error);
  const reason =
    code === "EIO" && typeof (error as { code?: unknown } | null)?.code !== "string"
      ? String(error)
      : undefined;
  const converted = socketError(code, { ...options, cause: error });
  return reason === undefined
    ? converted
    : new SocketError("EIO", { ...options, cause: error }, reason);
}
