/**
 * `wrapSocket`: starts TLS on a connected sockit socket. The plain socket is detached (Python's
 * `sock.detach()`), its connection's `net.Socket` released with the bytes it had received and
 * not read, and a TLS session started over it (session.ts); the `SSLSocket` gets a descriptor of
 * its own over the session's stream, with the plain socket's timeout, options and addresses.
 * Then the handshake runs as an operation under the socket's mode (handshake.ts).
 */

import { checkBoolean, checkOptions, checkSignal, checkTimeout, describe } from "../core/checks.js";
import { AF_UNIX } from "../core/constants.js";
import { Descriptor } from "../socket/descriptor.js";
import { run } from "../socket/policy.js";
import { descriptorOf, Socket } from "../socket/socket.js";
import type { SSLContext, WrapSocketOptions } from "./context.js";
import { toSSLError } from "./errors.js";
import { HANDSHAKE } from "./handshake.js";
import { TlsSession, type TlsSettings } from "./session.js";
import { SSLSocket, sslSocketOf } from "./ssl-socket.js";

export type { TlsSettings } from "./session.js";

const OPTION_NAMES = new Set<string>([
  "serverHostname",
  "server",
  "doHandshakeOnConnect",
  "timeout",
  "signal",
]);

/** wrapSocket's options, checked (both flavours check them so, before anything changes). */
export interface CheckedWrapOptions {
  readonly server: boolean;
  readonly doHandshakeOnConnect: boolean;
  readonly serverHostname: string | undefined;
  /** Undefined: the socket's own timeout. */
  readonly timeout: number | null | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Checks wrapSocket's options: TypeError for a wrong type or an unknown name, RangeError for a wrong value. */
export function checkWrapOptions(options: unknown): CheckedWrapOptions {
  const where = "wrapSocket(): options";
  const o = checkOptions<WrapSocketOptions>(options, where) ?? {};
  for (const name of Object.keys(o)) {
    if (!OPTION_NAMES.has(name)) {
      throw new TypeError(
        `${where} has an unknown option ${JSON.stringify(name)} (allowed: ${[...OPTION_NAMES].join(", ")})`,
      );
    }
  }
  const server = checkBoolean(o.server, `${where}.server`, false);
  const doHandshakeOnConnect = checkBoolean(
    o.doHandshakeOnConnect,
    `${where}.doHandshakeOnConnect`,
    true,
  );
  const signal = checkSignal(o.signal, `${where}.signal`);
  if (o.serverHostname !== undefined) {
    if (typeof o.serverHostname !== "string") {
      throw new TypeError(
        `${where}.serverHostname must be a string, got ${describe(o.serverHostname)}`,
      );
    }
    if (server) throw new RangeError(`${where}: serverHostname is for clients, not servers`);
    if (o.serverHostname === "" || o.serverHostname.startsWith(".")) {
      throw new RangeError(`${where}.serverHostname must be a host name or address`);
    }
  }
  const timeout = o.timeout === undefined ? undefined : checkTimeout(o.timeout, `${where}.timeout`);
  return { server, doHandshakeOnConnect, serverHostname: o.serverHostname, timeout, signal };
}

/** See {@link SSLContext.wrapSocket}. */
export async function wrapSocket(
  context: SSLContext,
  settings: TlsSettings,
  sock: Socket,
  options?: WrapSocketOptions,
): Promise<SSLSocket> {
  if (!(sock instanceof Socket)) {
    throw new TypeError(`wrapSocket(): sock must be a sockit Socket, got ${describe(sock)}`);
  }
  if (sock instanceof SSLSocket) {
    throw new TypeError("wrapSocket(): sock is a TLS socket already");
  }
  const o = checkWrapOptions(options);
  const { server, signal } = o;
  const handshake = o.doHandshakeOnConnect;
  if (server && !settings.hasCert) {
    throw new TypeError(
      "wrapSocket(): a server needs a certificate: give cert and key to createDefaultContext()",
    );
  }
  const d = descriptorOf(sock);
  const timeout = o.timeout === undefined ? d.timeout : o.timeout;
  if (handshake && timeout === 0) {
    throw new RangeError(
      "wrapSocket(): a non-blocking socket cannot wait for the handshake: pass doHandshakeOnConnect: false, then call doHandshake() until it succeeds",
    );
  }
  const hostname = server ? null : (o.serverHostname ?? connectedHost(d));
  if (!server && hostname === null && settings.checkHostname) {
    throw new TypeError(
      `wrapSocket(): options.serverHostname is needed to check the server's certificate (or checkHostname: false)`,
    );
  }
  signal?.throwIfAborted();
  const label = d.describe() ?? "";
  const stream = d.detach("wrapSocket");
  const { socket: raw, head } = stream.release();
  let session: TlsSession;
  try {
    session = TlsSession.start(settings, raw, head, { server, serverHostname: hostname, label });
  } catch (error) {
    raw.destroy();
    throw toSSLError(error, { op: "wrapSocket", address: label }) ?? error;
  }
  const tlsDescriptor = Descriptor.connected(d.family, session.stream, d);
  session.setSink(tlsDescriptor);
  const tlsSock = sslSocketOf(tlsDescriptor, session, context);
  if (!handshake) return tlsSock;
  try {
    await run(tlsDescriptor, HANDSHAKE, session, { timeout, signal });
  } catch (error) {
    tlsSock.close();
    throw error;
  }
  return tlsSock;
}

/** The host the socket was connected to: the name or address given to `connect`, or its peer's. */
function connectedHost(d: Descriptor): string | null {
  const endpoint = d.connectedTo;
  if (endpoint?.kind === "ip") return endpoint.host;
  if (d.family === AF_UNIX) return null;
  try {
    const peer = d.getpeername();
    return typeof peer === "string" ? null : peer[0];
  } catch {
    return null;
  }
}
