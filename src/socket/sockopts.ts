/**
 * Socket options: the table of what `setsockopt`/`getsockopt` can honour, the values a socket
 * holds, and how a changed value reaches a live connection.
 *
 * Values read back are what was set. An option the runtime cannot honour is `ENOPROTOOPT`, never
 * silently ignored: e.g. SO_LINGER other than `null`/`0`, clearing SO_REUSEADDR (libuv always
 * sets it on listening TCP sockets), or SO_REUSEPORT before Node.js 22.12. The options only
 * datagram sockets have are entries of this table too, made in datagram-options.ts.
 */

import { describe } from "../core/checks.js";
import {
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_V6ONLY,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_DGRAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "../core/constants.js";
import { errnoOf, SocketError } from "../core/errors.js";
import {
  DATAGRAM_OPTIONS,
  type DatagramOptionName,
  type DatagramOptions,
} from "./datagram-options.js";
import { DEFAULT_RCVBUF, DEFAULT_SNDBUF, type Stream } from "./stream.js";

/**
 * The option values a socket holds. The five flags share one integer field (every accepted
 * connection that sets TCP_NODELAY holds one of these).
 */
export class OptionValues {
  #flags = 0;
  rcvbuf = DEFAULT_RCVBUF;
  sndbuf = DEFAULT_SNDBUF;
  /** Seconds, or `null` for no linger (the default). */
  linger: number | null = null;

  /** Whether flag `bit` (one of {@link FLAG}) is set. */
  has(bit: number): boolean {
    return (this.#flags & bit) !== 0;
  }

  /** Sets or clears flag `bit`. */
  set(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit;
  }
}

/** The bits of the boolean options in {@link OptionValues}. */
export const FLAG = {
  noDelay: 1,
  keepAlive: 2,
  reuseAddr: 4,
  reusePort: 8,
  v6Only: 16,
} as const;

/** What changed, for {@link OptionTarget.apply}: a flag's name or a field of OptionValues. */
export type OptionName = keyof typeof FLAG | "rcvbuf" | "sndbuf" | "linger" | DatagramOptionName;

/** What `getsockopt`/`setsockopt` need from the socket beyond the values. */
export interface OptionTarget {
  readonly options: OptionValues;
  readonly type: number;
  /** Applies the changed value to the live connection, if there is one. */
  apply(changed: OptionName): void;
  /** Reads and clears the pending error's code. */
  takeErrorCode(): string | undefined;
  /** The options only datagram sockets have (undefined for a stream socket). */
  datagramOptions?(): DatagramOptions | undefined;
}

/** One option: how to read it back and, unless read-only, how to set it. */
export interface Entry {
  get(o: OptionValues, target: OptionTarget): number | null;
  /** Stores `value` (checked) and returns what changed; throws ENOPROTOOPT if impossible. */
  set?(o: OptionValues, value: unknown, target: OptionTarget): OptionName;
}

/** A boolean option kept as a flag; `refuse(on, target)` says why a value cannot be honoured. */
function flagEntry(
  name: keyof typeof FLAG,
  refuse?: (on: boolean, target: OptionTarget) => string | undefined,
): Entry {
  const bit = FLAG[name];
  return {
    get: (o) => (o.has(bit) ? 1 : 0),
    set: (o, value, target) => {
      const on = flag(value);
      const why = refuse?.(on, target);
      if (why !== undefined) throw noOption(why);
      o.set(bit, on);
      return name;
    },
  };
}

/** The table, keyed by `level:option`. */
const OPTIONS = new Map<string, Entry>([
  [
    key(IPPROTO_TCP, TCP_NODELAY),
    flagEntry("noDelay", (_on, target) =>
      target.type === SOCK_DGRAM ? "TCP_NODELAY applies to TCP sockets" : undefined,
    ),
  ],
  [key(SOL_SOCKET, SO_KEEPALIVE), flagEntry("keepAlive")],
  [
    key(SOL_SOCKET, SO_REUSEADDR),
    flagEntry("reuseAddr", (on, target) =>
      on || target.type === SOCK_DGRAM ? undefined : "libuv always sets SO_REUSEADDR",
    ),
  ],
  [
    key(SOL_SOCKET, SO_REUSEPORT),
    flagEntry("reusePort", (on) =>
      on && !canReusePort() ? "SO_REUSEPORT needs Node.js 22.12+" : undefined,
    ),
  ],
  [
    key(IPPROTO_IPV6, IPV6_V6ONLY),
    flagEntry("v6Only", (on) =>
      on && !canSetV6Only() ? "this runtime ignores IPV6_V6ONLY" : undefined,
    ),
  ],
  [
    key(SOL_SOCKET, SO_RCVBUF),
    {
      get: (o) => o.rcvbuf,
      set: (o, value) => {
        o.rcvbuf = bufferSize(value);
        return "rcvbuf";
      },
    },
  ],
  [
    key(SOL_SOCKET, SO_SNDBUF),
    {
      get: (o) => o.sndbuf,
      set: (o, value) => {
        o.sndbuf = bufferSize(value);
        return "sndbuf";
      },
    },
  ],
  [
    key(SOL_SOCKET, SO_LINGER),
    {
      get: (o) => o.linger,
      set: (o, value) => {
        if (value !== null && value !== 0) {
          throw noOption("SO_LINGER can only be null or 0 (reset on close)");
        }
        o.linger = value;
        return "linger";
      },
    },
  ],
  [key(SOL_SOCKET, SO_TYPE), { get: (_o, target) => target.type }],
  ...DATAGRAM_OPTIONS.map(([level, option, entry]) => [key(level, option), entry] as const),
  [
    key(SOL_SOCKET, SO_ERROR),
    {
      get: (_o, target) => {
        const code = target.takeErrorCode();
        return code === undefined ? 0 : (errnoOf(code) ?? errnoOf("EIO")!);
      },
    },
  ],
]);

/** `setsockopt(level, option, value)`. */
export function setOption(
  target: OptionTarget,
  level: unknown,
  option: unknown,
  value: unknown,
): void {
  const entry = lookup(level, option, "setsockopt");
  if (entry.set === undefined) throw noOption("the option is read-only");
  target.apply(entry.set(target.options, value, target));
}

/** `getsockopt(level, option)`. */
export function getOption(target: OptionTarget, level: unknown, option: unknown): number | null {
  return lookup(level, option, "getsockopt").get(target.options, target);
}

/**
 * Applies the options to a connection: all of them (a new connection), or only the one that
 * `changed`. The buffer sizes are the stream's own; TCP_NODELAY and SO_KEEPALIVE are system
 * calls, so only the changed one is made.
 */
export function applyToStream(stream: Stream, options: OptionValues, changed?: OptionName): void {
  stream.rcvbuf = options.rcvbuf;
  stream.sndbuf = options.sndbuf;
  const socket = stream.socket;
  if (socket.destroyed) return;
  if (changed === undefined || changed === "noDelay") socket.setNoDelay(options.has(FLAG.noDelay));
  if (changed === undefined || changed === "keepAlive") {
    socket.setKeepAlive(options.has(FLAG.keepAlive));
  }
}

/** True where `listen({ reusePort })` exists (Node.js >= 22.12, or 23.1). */
export function canReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** False on Deno, whose `net.Server#listen` ignores `ipv6Only` (Deno 2.9): never V6-only. */
export function canSetV6Only(): boolean {
  return typeof process.versions.deno !== "string";
}

function key(level: number, option: number): string {
  return `${level}:${option}`;
}

/** The entry for `level` and `option` (integers, as in C); ENOPROTOOPT if there is none. */
function lookup(level: unknown, option: unknown, op: string): Entry {
  for (const [name, value] of [
    ["level", level],
    ["option", option],
  ] as const) {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw new TypeError(`${op}(): ${name} must be an integer, got ${describe(value)}`);
    }
  }
  const entry = OPTIONS.get(key(level as number, option as number));
  if (entry === undefined) {
    throw new SocketError(
      "ENOPROTOOPT",
      { op },
      `option ${String(option)} at level ${String(level)} is not supported`,
    );
  }
  return entry;
}

function noOption(why: string): SocketError {
  return new SocketError("ENOPROTOOPT", { op: "setsockopt" }, why);
}

function flag(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isInteger(value)) return value !== 0;
  throw new TypeError(
    `setsockopt(): value must be an integer or a boolean, got ${describe(value)}`,
  );
}

function bufferSize(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `setsockopt(): buffer size must be an integer number of bytes, got ${describe(value)}`,
    );
  }
  if (value < 1 || value > 2 ** 31 - 1) {
    throw new RangeError(`setsockopt(): buffer size must be 1-2147483647 bytes, got ${value}`);
  }
  return value;
}
