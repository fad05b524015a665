/**
 * The module functions of `sockit/sync` that make sockets or ask the network: the helper thread
 * runs the async ones (Happy Eyeballs, resolution, errors included) and this thread gets the
 * sockets it made.
 *
 * @module
 */

import { isMainThread } from "node:worker_threads";
import { checkOptions, checkSignal, describe } from "../core/checks.js";
import { AF_UNIX, SOCK_STREAM } from "../core/constants.js";
import type { AddressInput } from "../net/address.js";
import type { CreateServerOptions } from "../net/connection.js";
import type { CreateConnectionOptions as AsyncCreateConnectionOptions } from "../net/create-connection.js";
import { type AddrInfo, type GetAddrInfoOptions, getaddrinfoFilters } from "../net/resolve.js";
import { getDefaultTimeout } from "../socket/policy.js";
import { Bridge } from "./bridge.js";
import { SyncDescriptor } from "./descriptor.js";
import type { SocketInfo } from "./helper.js";
import type { WireConnectionOptions } from "./helper-tls.js";
import { adopt, type Socket } from "./socket.js";
import { type SSLSocket, sslSocketOf } from "./ssl-socket.js";
import { contextIdOf, SSLContext } from "./tls.js";

/** Options of {@link createConnection}: the async ones, with a `sockit/sync` TLS context. */
export interface CreateConnectionOptions extends Omit<AsyncCreateConnectionOptions, "tls"> {
  /**
   * Starts TLS with this context once connected and returns the TLS socket after the handshake
   * (sending `host` as the server's name); `timeout` covers both.
   */
  tls?: SSLContext;
}

function wrap(info: SocketInfo, timeout: number | null, listening = false): Socket {
  const descriptor = new SyncDescriptor(info.family, info.type, info, listening);
  descriptor.timeout = timeout;
  return adopt(descriptor);
}

/**
 * Connects to `[host, port]` as the async `createConnection` does (every resolved address,
 * Happy Eyeballs), blocking until connected, and with `tls` until the handshake is done too.
 * The socket keeps `timeout`.
 *
 * @example
 * ```ts
 * const sock = createConnection(["localhost", 8080], { timeout: 5 });
 * ```
 */
export function createConnection(
  address: readonly [string, number],
  options: CreateConnectionOptions & { tls: SSLContext },
): SSLSocket;
export function createConnection(
  address: readonly [string, number],
  options?: CreateConnectionOptions,
): Socket;
export function createConnection(
  address: readonly [string, number],
  options?: CreateConnectionOptions,
): Socket {
  if (typeof options === "number") {
    throw new TypeError(
      `createConnection(): options must be an options object, got number ${options} (for a timeout, pass { timeout: ${options} })`,
    );
  }
  const checked = checkOptions<CreateConnectionOptions>(options, "createConnection(): options");
  const signal = checkSignal(checked?.signal, "createConnection(): options.signal");
  signal?.throwIfAborted();
  const { signal: _signal, tls, ...rest } = checked ?? {};
  if (tls !== undefined && !(tls instanceof SSLContext)) {
    throw new TypeError(
      `createConnection(): options.tls must be a sockit/sync SSLContext (createDefaultContext()), got ${describe(tls)}`,
    );
  }
  const timeout = rest.timeout === undefined ? getDefaultTimeout() : rest.timeout;
  const sent: WireConnectionOptions = { ...rest, timeout };
  if (tls !== undefined) sent.tlsContext = contextIdOf(tls);
  // A blocking socket on the main thread waits in the kernel (see SyncDescriptor): the helper
  // makes the descriptor blocking with the hand-over, saving a request on the first wait.
  const blocking = isMainThread && timeout === null && tls === undefined;
  const info = Bridge.get().call("createConnection", [address, sent, blocking]) as SocketInfo;
  if (tls === undefined || info.tls === undefined) return wrap(info, timeout);
  const descriptor = new SyncDescriptor(info.family, info.type, info);
  descriptor.timeout = timeout;
  return sslSocketOf(descriptor, tls, info.tls);
}

/**
 * A listening socket bound to `address` (with SO_REUSEADDR, as Python sets on POSIX).
 *
 * @example
 * ```ts
 * const server = createServer(["127.0.0.1", 0]);
 * const [conn] = server.accept();
 * ```
 */
export function createServer(address: AddressInput, options?: CreateServerOptions): Socket {
  const info = Bridge.get().call("createServer", [address, options]);
  return wrap(info as SocketInfo, getDefaultTimeout(), true);
}

/**
 * Two connected sockets (AF_UNIX by default, as Python's `socketpair`).
 *
 * @example
 * ```ts
 * const [a, b] = socketpair();
 * a.sendAll("ping");
 * ```
 */
export function socketpair(family: number = AF_UNIX, type: number = SOCK_STREAM): [Socket, Socket] {
  const [a, b] = Bridge.get().call("socketpair", [family, type]) as [SocketInfo, SocketInfo];
  const timeout = getDefaultTimeout();
  return [wrap(a, timeout), wrap(b, timeout)];
}

/**
 * Resolves `host` and `port` into `[family, type, proto, canonname, address]` entries, as the
 * async `getaddrinfo` (the filters as Python's positional arguments or one options object),
 * blocking until the answer comes.
 *
 * @example
 * ```ts
 * for (const [family, , , , address] of getaddrinfo("localhost", 80)) console.log(family, address);
 * ```
 */
export function getaddrinfo(
  host: string | null,
  port: string | number | null,
  options?: GetAddrInfoOptions,
): AddrInfo[];
export function getaddrinfo(
  host: string | null,
  port: string | number | null,
  family?: number,
  type?: number,
  proto?: number,
  flags?: number,
): AddrInfo[];
export function getaddrinfo(
  host: string | null,
  port: string | number | null,
  ...filters: unknown[]
): AddrInfo[] {
  const options = getaddrinfoFilters(filters);
  return Bridge.get().call("getaddrinfo", [host, port, options]) as AddrInfo[];
}
