/**
 * The connections the helper thread makes for `createConnection` to a numeric IP address: a bare
 * TCP handle (no `net.Socket`, no sockit `Socket` around it), handed over to the calling thread
 * at once. Opening and closing one costs half what a `net.Socket` does, and a thread that only
 * sends, receives and closes never needs more. The first call that does (a socket option, the
 * names, TLS, a selector) wraps the handle into a sockit socket, as `accept` wraps a connection,
 * and from then on the helper holds that socket as any other.
 *
 * Only on Node.js (see `connectBare`); elsewhere, and for every other kind of address or option,
 * the helper runs the async `createConnection`.
 */

import { isIPv4, isIPv6 } from "node:net";
import { getSystemErrorName } from "node:util";
import { cancel, type Expiry, now, schedule } from "../core/clock.js";
import { AF_INET, AF_INET6, SOCK_STREAM } from "../core/constants.js";
import { socketError, TimeoutError } from "../core/errors.js";
import { formatAddress } from "../net/address.js";
import { Descriptor } from "../socket/descriptor.js";
import {
  bareProbe,
  canConnectBare,
  connectBare,
  type Probe,
  type TcpHandle,
} from "../socket/node-internals.js";
import { type Socket, socketOf } from "../socket/socket.js";
import { Stream } from "../socket/stream.js";
import { NO_SINK } from "../socket/transport.js";
import type { WireConnectionOptions } from "./helper-tls.js";

/** A connection on a bare handle, handed over to its thread (see the module comment). */
export class BareConnection {
  readonly family: number;
  readonly type = SOCK_STREAM;
  /** The peer, for messages. */
  readonly label: string;
  closed = false;
  readonly #handle: TcpHandle;
  /**
   * Made when first asked for: a thread that blocks in the kernel, as a blocking socket on the
   * main thread does, never asks, and setting one up costs each connection a few microseconds.
   */
  #probe: Probe | undefined;
  #ready: (() => void) | undefined;

  constructor(handle: TcpHandle, family: number, label: string) {
    this.#handle = handle;
    this.family = family;
    this.label = label;
  }

  fileno(): number {
    return this.closed ? -1 : this.#handle.fd;
  }

  /** Asks the probe for one report of readability. */
  arm(): void {
    if (this.closed) return;
    this.#probe ??= bareProbe(
      this.#handle,
      () => !this.closed,
      () => this.#ready?.(),
    );
    this.#probe.arm();
  }

  /** Calls `ready` on each report of the probe; returns how to stop. */
  watch(ready: () => void): () => void {
    this.#ready = ready;
    return () => {
      if (this.#ready === ready) this.#ready = undefined;
    };
  }

  /** Puts the descriptor in blocking mode or back; false if it could not. */
  setBlocking(blocking: boolean): boolean {
    return !this.closed && this.#handle.setBlocking(blocking) === 0;
  }

  /** Closes the connection; with `reset`, with an RST (unread data, SO_LINGER 0) as Linux does. */
  close(reset: boolean): void {
    if (this.closed) return;
    this.#probe?.stop();
    this.closed = true;
    if (!reset || this.#handle.reset() !== 0) this.#handle.close();
  }

  /**
   * The sockit socket of this connection, for a call that needs one: the probe stops (the new
   * socket's stream has its own) and this object is done with.
   */
  toSocket(): Socket {
    this.#probe?.stop();
    this.closed = true;
    this.#ready = undefined;
    return socketOf(Descriptor.connected(this.family, Stream.fromHandle(this.#handle, NO_SINK)));
  }
}

/**
 * Connects as the async `createConnection(address, options)` would, with a bare handle, when
 * nothing asks for more than one (a numeric IP address in its usual spelling, a port, a timeout
 * or none; no source address, TLS, `allErrors` or non-blocking mode). Undefined otherwise, or
 * where the runtime has no bare handles: then the async `createConnection` runs. Its errors are
 * that function's: `ConnectionRefusedError` and the like, `TimeoutError` at the deadline.
 */
export function connectBareConnection(
  address: unknown,
  options: WireConnectionOptions,
): Promise<BareConnection> | undefined {
  if (!canConnectBare() || !Array.isArray(address) || address.length !== 2) return undefined;
  const [host, port] = address as unknown[];
  if (typeof host !== "string" || typeof port !== "number") return undefined;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const { timeout, sourceAddress, allErrors, tlsContext } = options;
  if (sourceAddress !== undefined || tlsContext !== undefined) return undefined;
  if (allErrors !== undefined && allErrors !== false) return undefined;
  if (timeout !== null && !(typeof timeout === "number" && timeout > 0 && timeout < 1e9)) {
    return undefined;
  }
  const ipv6 = !isIPv4(host);
  if (ipv6 && !isUsualIPv6(host)) return undefined;
  const family = ipv6 ? AF_INET6 : AF_INET;
  const label = formatAddress([host, port]);
  const deadline = timeout === null ? Number.POSITIVE_INFINITY : now() + timeout * 1000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const handle = connectBare(host, port, ipv6, (status) => {
      if (settled) return;
      settled = true;
      if (expiry !== undefined) cancel(expiry);
      if (status === 0) {
        resolve(new BareConnection(handle!, family, label));
        return;
      }
      handle!.close();
      reject(socketError(getSystemErrorName(status), { op: "connect", address: label }));
    });
    const expiry: Expiry | undefined =
      deadline === Number.POSITIVE_INFINITY
        ? undefined
        : schedule(
            deadline,
            () => {
              if (settled) return;
              settled = true;
              handle!.close();
              reject(new TimeoutError({ op: "connect", address: label }));
            },
            false,
          );
  });
}

/** An IPv6 address as the resolver spells it, without a zone: what the async path would show. */
function isUsualIPv6(host: string): boolean {
  if (!isIPv6(host) || host.includes("%") || host.includes(".")) return false;
  return new URL(`http://[${host}]/`).hostname === `[${host}]`;
}
