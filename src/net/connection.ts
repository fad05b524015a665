/**
 * Python's convenience constructors for listening sockets and pairs: `create_server`,
 * `has_dualstack_ipv6` and `socketpair` (`create_connection` is in create-connection.ts).
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { checkBoolean, checkOptions } from "../core/checks.js";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_STREAM,
  SOL_SOCKET,
} from "../core/constants.js";
import { SocketError } from "../core/errors.js";
import { Socket } from "../socket/socket.js";
import type { AddressInput } from "./address.js";

/** Options of {@link createServer}. */
export interface CreateServerOptions {
  /** `AF_INET` (default) or `AF_INET6`. */
  family?: number;
  /** Listen backlog (default: 128). */
  backlog?: number;
  /** Set SO_REUSEPORT (Node.js >= 22.12). */
  reusePort?: boolean;
  /** With AF_INET6, accept IPv4 connections too. */
  dualstackIpv6?: boolean;
}

/**
 * A listening socket bound to `address` (with SO_REUSEADDR, as Python sets on POSIX).
 *
 * @example
 * ```ts
 * await using server = await createServer(["127.0.0.1", 0]);
 * const [conn] = await server.accept();
 * ```
 */
export async function createServer(
  address: AddressInput,
  options?: CreateServerOptions,
): Promise<Socket> {
  const checked = checkOptions<CreateServerOptions>(options, "createServer(): options") ?? {};
  const { family = AF_INET, backlog } = checked;
  const reusePort = checkBoolean(checked.reusePort, "createServer(): options.reusePort");
  const dualstackIpv6 = checkBoolean(
    checked.dualstackIpv6,
    "createServer(): options.dualstackIpv6",
  );
  if (dualstackIpv6 && family !== AF_INET6) {
    throw new RangeError("createServer(): dualstackIpv6 requires family AF_INET6");
  }
  const sock = new Socket(family, SOCK_STREAM);
  try {
    if (family !== AF_UNIX) sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    if (reusePort) sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    if (family === AF_INET6) setV6Only(sock, !dualstackIpv6);
    await sock.bind(address);
    await (backlog === undefined ? sock.listen() : sock.listen(backlog));
    return sock;
  } catch (error) {
    sock.close();
    throw error;
  }
}

/**
 * Makes an AF_INET6 listener V6-only or dual-stack. As CPython's `create_server`, a runtime that
 * cannot make it V6-only (ENOPROTOOPT) leaves it dual-stack rather than failing.
 */
function setV6Only(sock: Socket, on: boolean): void {
  try {
    sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, on ? 1 : 0);
  } catch (error) {
    if (!(on && error instanceof SocketError && error.code === "ENOPROTOOPT")) throw error;
  }
}

/** True if this machine can listen on IPv6 and IPv4 with one socket (it has IPv6). */
export function hasDualstackIpv6(): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.family === "IPv6"));
}

/**
 * Two connected sockets. AF_UNIX (the default) uses a private abstract-namespace listener on
 * Linux (a temporary path elsewhere); AF_INET/AF_INET6 use a loopback listener.
 *
 * @example
 * ```ts
 * const [a, b] = await socketpair();
 * await a.sendAll("ping");
 * ```
 */
export async function socketpair(
  family: number = AF_UNIX,
  type: number = SOCK_STREAM,
): Promise<[Socket, Socket]> {
  if (type !== SOCK_STREAM) {
    throw new SocketError(
      "EPROTONOSUPPORT",
      { op: "socketpair" },
      "socketpair supports SOCK_STREAM only",
    );
  }
  const name = `sockit-${process.pid}-${randomBytes(8).toString("hex")}`;
  const address: AddressInput =
    family === AF_UNIX
      ? process.platform === "linux"
        ? `\0${name}`
        : join(tmpdir(), `${name}.sock`)
      : family === AF_INET6
        ? ["::1", 0]
        : ["127.0.0.1", 0];
  const listener = new Socket(family, SOCK_STREAM);
  const client = new Socket(family, SOCK_STREAM);
  try {
    await listener.bind(address);
    await listener.listen(1);
    // Together, so a failed connect does not leave the accept's rejection unhandled.
    const [, [server]] = await Promise.all([
      client.connect(listener.getsockname() as AddressInput, { timeout: null }),
      listener.accept({ timeout: null }),
    ]);
    return [client, server];
  } catch (error) {
    client.close();
    throw error;
  } finally {
    listener.close();
  }
}
