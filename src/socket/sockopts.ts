/**
 * Socket options: what `setsockopt`/`getsockopt` can honour on `node:net`, in one table.
 *
 * Values read back are what was set. An option Node.js cannot honour is `ENOPROTOOPT`, never
 * silently ignored: e.g. SO_LINGER other than `null`/`0`, clearing SO_REUSEADDR (libuv always
 * sets it on listening TCP sockets), or SO_REUSEPORT before Node.js 22.12.
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
  SOL_SOCKET,
  TCP_NODELAY,
} from "../core/constants.js";
import { errnoOf, SocketError } from "../core/errors.js";
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

  get noDelay(): boolean {
    return this.#get(NO_DELAY);
  }
  set noDelay(on: boolean) {
    this.#set(NO_DELAY, on);
  }
  get keepAlive(): boolean {
    return this.#get(KEEP_ALIVE);
  }
  set keepAlive(on: boolean) {
    this.#set(KEEP_ALIVE, on);
  }
  get reuseAddr(): boolean {
    return this.#get(REUSE_ADDR);
  }
  set reuseAddr(on: boolean) {
    this.#set(REUSE_ADDR, on);
  }
  get reusePort(): boolean {
    return this.#get(REUSE_PORT);
  }
  set reusePort(on: boolean) {
    this.#set(REUSE_PORT, on);
  }
  get v6Only(): boolean {
    return this.#get(V6_ONLY);
  }
  set v6Only(on: boolean) {
    this.#set(V6_ONLY, on);
  }

  #get(bit: number): boolean {
    return (this.#flags & bit) !== 0;
  }

  #set(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit;
  }
}

// The bits of OptionValues#flags.
const NO_DELAY = 1;
const KEEP_ALIVE = 2;
const REUSE_ADDR = 4;
const REUSE_PORT = 8;
const V6_ONLY = 16;

/** True where `listen({ reusePort })` exists (Node.js >= 22.12, or 23.1). */
export function canReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** False on Deno, whose `net.Server#listen` ignores `ipv6Only` (Deno 2.9): never V6-only. */
export function canSetV6Only(): boolean {
  return typeof process.versions.deno !== "string";
}

/** What `getsockopt`/`setsockopt` need from the socket beyond the values. */
export interface OptionTarget {
  readonly options: OptionValues;
  readonly type: number;
  /** Applies the changed value to the live connection, if there is one. */
  apply(changed: keyof OptionValues): void;
  /** Reads and clears the pending error's code. */
  takeErrorCode(): string | undefined;
}

/**
 * Applies the options to a connection: all of them (a new connection), or only the one that
 * `changed`. The buffer sizes are the stream's own; TCP_NODELAY and SO_KEEPALIVE are system
 * calls, so only the changed one is made.
 */
export function applyToStream(
  stream: Stream,
  options: OptionValues,
  changed?: keyof OptionValues,
): void {
  stream.rcvbuf = options.rcvbuf;
  stream.sndbuf = options.sndbuf;
  const socket = stream.socket;
  if (socket.destroyed) return;
  if (changed === undefined || changed === "noDelay") socket.setNoDelay(options.noDelay);
  if (changed === undefined || changed === "keepAlive") socket.setKeepAlive(options.keepAlive);
}

function noOption(level: number, option: number, why?: string, op = "setsockopt"): SocketError {
  return new SocketError(
    "ENOPROTOOPT",
    { op },
    why ?? `option ${option} at level ${level} is not supported`,
  );
}

/** `level` and `option` are integers, as in C (a TypeError otherwise). */
function checkName(level: unknown, option: unknown, op: string): [number, number] {
  for (const [name, value] of [
    ["level", level],
    ["option", option],
  ] as const) {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw new TypeError(`${op}(): ${name} must be an integer, got ${describe(value)}`);
    }
  }
  return [level as number, option as number];
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

/** `setsockopt(level, option, value)`. */
export function setOption(
  target: OptionTarget,
  levelArg: unknown,
  optionArg: unknown,
  value: unknown,
): void {
  const [level, option] = checkName(levelArg, optionArg, "setsockopt");
  const o = target.options;
  let changed: keyof OptionValues;
  if (level === IPPROTO_TCP && option === TCP_NODELAY) {
    o.noDelay = flag(value);
    changed = "noDelay";
  } else if (level === IPPROTO_IPV6 && option === IPV6_V6ONLY) {
    const on = flag(value);
    if (on && !canSetV6Only()) throw noOption(level, option, "this runtime ignores IPV6_V6ONLY");
    o.v6Only = on;
    changed = "v6Only";
  } else if (level !== SOL_SOCKET) throw noOption(level, option);
  else if (option === SO_KEEPALIVE) {
    o.keepAlive = flag(value);
    changed = "keepAlive";
  } else if (option === SO_RCVBUF) {
    o.rcvbuf = bufferSize(value);
    changed = "rcvbuf";
  } else if (option === SO_SNDBUF) {
    o.sndbuf = bufferSize(value);
    changed = "sndbuf";
  } else if (option === SO_REUSEADDR) {
    if (!flag(value)) throw noOption(level, option, "libuv always sets SO_REUSEADDR");
    o.reuseAddr = true;
    changed = "reuseAddr";
  } else if (option === SO_REUSEPORT) {
    const on = flag(value);
    if (on && !canReusePort()) throw noOption(level, option, "SO_REUSEPORT needs Node.js 22.12+");
    o.reusePort = on;
    changed = "reusePort";
  } else if (option === SO_LINGER) {
    if (value !== null && value !== 0) {
      throw noOption(level, option, "SO_LINGER can only be null or 0 (reset on close)");
    }
    o.linger = value;
    changed = "linger";
  } else throw noOption(level, option);
  target.apply(changed);
}

/** `getsockopt(level, option)`. */
export function getOption(
  target: OptionTarget,
  levelArg: unknown,
  optionArg: unknown,
): number | null {
  const [level, option] = checkName(levelArg, optionArg, "getsockopt");
  const o = target.options;
  if (level === IPPROTO_TCP && option === TCP_NODELAY) return o.noDelay ? 1 : 0;
  if (level === IPPROTO_IPV6 && option === IPV6_V6ONLY) return o.v6Only ? 1 : 0;
  if (level === SOL_SOCKET) {
    switch (option) {
      case SO_KEEPALIVE:
        return o.keepAlive ? 1 : 0;
      case SO_REUSEADDR:
        return o.reuseAddr ? 1 : 0;
      case SO_REUSEPORT:
        return o.reusePort ? 1 : 0;
      case SO_RCVBUF:
        return o.rcvbuf;
      case SO_SNDBUF:
        return o.sndbuf;
      case SO_LINGER:
        return o.linger;
      case SO_TYPE:
        return target.type;
      case SO_ERROR: {
        const code = target.takeErrorCode();
        return code === undefined ? 0 : (errnoOf(code) ?? 5);
      }
    }
  }
  throw noOption(level, option, undefined, "getsockopt");
}
