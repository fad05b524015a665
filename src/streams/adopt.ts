/**
 * `fromNetSocket`: a sockit socket over a connected `net.Socket` made elsewhere (an HTTP
 * server's upgraded connection, a test server's socket, a `tls.TLSSocket`), reading included.
 *
 * @module
 */

import * as net from "node:net";
import { checkOptions, describe } from "../core/checks.js";
import { AF_INET, AF_INET6, AF_UNIX } from "../core/constants.js";
import { SocketError } from "../core/errors.js";
import { Descriptor } from "../socket/descriptor.js";
import { type Socket, socketOf } from "../socket/socket.js";
import { Stream } from "../socket/stream.js";
import { NO_SINK } from "../socket/transport.js";

/** Options of {@link fromNetSocket}. */
export interface FromNetSocketOptions {
  /**
   * Bytes its previous reader already took from the connection, which come first: the `head`
   * of an HTTP server's `'upgrade'` or `'connect'` event.
   */
  head?: Uint8Array | undefined;
}

/**
 * A sockit `Socket` that takes over `netSocket`, a connected `net.Socket` (or a subclass such as
 * `tls.TLSSocket`), in the default mode. Reads see `head`, then whatever `netSocket` had already
 * read and buffered, then what arrives next, in that order: nothing it received is lost.
 * Stop reading it yourself first (remove your `'data'` and `'readable'` listeners); from then on
 * use the sockit socket only. Half-close is turned on, as on every sockit socket. The family is
 * AF_INET or AF_INET6 from its remote address, AF_UNIX otherwise.
 *
 * @example
 * ```ts
 * server.on("upgrade", async (request, netSocket, head) => {
 *   const sock = fromNetSocket(netSocket, { head });
 *   await sock.sendAll("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
 *   for await (const chunk of sock) await sock.sendAll(chunk);
 *   sock.close();
 * });
 * ```
 */
export function fromNetSocket(netSocket: net.Socket, options?: FromNetSocketOptions): Socket {
  if (!(netSocket instanceof net.Socket)) {
    throw new TypeError(
      `fromNetSocket(): netSocket must be a connected net.Socket, got ${describe(netSocket)}`,
    );
  }
  const head = checkOptions<FromNetSocketOptions>(options, "fromNetSocket(): options")?.head;
  if (head !== undefined && !(head instanceof Uint8Array)) {
    throw new TypeError(
      `fromNetSocket(): options.head must be a Uint8Array (the 'upgrade' event's head), got ${describe(head)}`,
    );
  }
  if (netSocket.destroyed) {
    throw new SocketError("EBADF", { op: "fromNetSocket" }, "the net.Socket is already destroyed");
  }
  if (netSocket.connecting || netSocket.pending) {
    throw new SocketError(
      "ENOTCONN",
      { op: "fromNetSocket" },
      "the net.Socket is not connected yet: adopt it once it has emitted 'connect'",
    );
  }
  const family =
    netSocket.remoteFamily === "IPv6"
      ? AF_INET6
      : netSocket.remoteFamily === "IPv4"
        ? AF_INET
        : AF_UNIX;
  return socketOf(Descriptor.connected(family, Stream.adopt(netSocket, NO_SINK, head)));
}
