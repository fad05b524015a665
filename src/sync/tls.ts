/**
 * TLS in `sockit/sync`: `SSLContext` and `createDefaultContext`, whose `wrapSocket` blocks until
 * the handshake is done. A context checks its options in the calling thread exactly as the async
 * one does (it holds one), so bad input fails at the call; the helper thread builds its own from
 * the same options when the context is first used, and runs the TLS sessions (helper-tls.ts).
 *
 * Wrapping a socket whose stream was handed over to this thread gives it back to the helper
 * first, with the bytes this thread had read and not taken: TLS reads them first, so STARTTLS
 * loses nothing here either.
 *
 * @module
 */

import { describe } from "../core/checks.js";
import { closedError } from "../socket/operation.js";
import {
  SSLContext as AsyncSSLContext,
  type SSLContextOptions,
  type TLSVersion,
  type WrapSocketOptions,
} from "../tls/context.js";
import { checkWrapOptions } from "../tls/wrap.js";
import { Bridge } from "./bridge.js";
import type { SocketInfo } from "./helper.js";
import { descriptorOf, Socket } from "./socket.js";
import { SSLSocket, sslSocketOf } from "./ssl-socket.js";

/** The helper's id of a context, made on first use. */
export let contextIdOf: (context: SSLContext) => number;

/** Tells the helper to forget the contexts this thread no longer holds. */
const forgotten = new FinalizationRegistry<number>((id) => {
  try {
    Bridge.get().send("tlsContextClose", [id]);
  } catch {
    // The helper is gone (the process is ending): nothing to forget.
  }
});

/**
 * Python's `ssl.SSLContext` for `sockit/sync`, made by {@link createDefaultContext}: the same
 * options, checks and properties as the async `SSLContext`, with a blocking `wrapSocket`.
 */
export class SSLContext {
  readonly #checked: AsyncSSLContext;
  readonly #options: SSLContextOptions;
  #id: number | undefined;

  /** Makes a context; see {@link createDefaultContext} for the options. */
  constructor(options?: SSLContextOptions) {
    this.#checked = new AsyncSSLContext(options);
    // Checked: an object of known options (or nothing), each a string, bytes, array or number.
    this.#options = { ...options };
  }

  static {
    contextIdOf = (context) => {
      if (context.#id === undefined) {
        context.#id = Bridge.get().call("tlsContext", [context.#options]) as number;
        forgotten.register(context, context.#id);
      }
      return context.#id;
    };
  }

  /** How the peer's certificate is verified: `CERT_NONE`, `CERT_OPTIONAL` or `CERT_REQUIRED`. */
  get verifyMode(): number {
    return this.#checked.verifyMode;
  }

  /** Whether a client checks that the server's certificate is for `serverHostname`. */
  get checkHostname(): boolean {
    return this.#checked.checkHostname;
  }

  /** Whether a server asks clients for a certificate. */
  get requestCert(): boolean {
    return this.#checked.requestCert;
  }

  /** The oldest protocol version allowed. */
  get minimumVersion(): TLSVersion {
    return this.#checked.minimumVersion;
  }

  /** The newest protocol version allowed. */
  get maximumVersion(): TLSVersion {
    return this.#checked.maximumVersion;
  }

  /** The ALPN protocols offered or accepted, or an empty array. */
  get alpnProtocols(): string[] {
    return this.#checked.alpnProtocols;
  }

  /**
   * Starts TLS on a connected (or accepted, with `server: true`) socket and returns the TLS
   * socket once the handshake is done, as the async `wrapSocket`: the handshake follows the
   * socket's mode and timeout (or `options.timeout`); `sock` is detached; bytes it had received
   * and not read go to TLS first. A `signal` is looked at when the call starts only (as by
   * every call of sockit/sync).
   */
  wrapSocket(sock: Socket, options?: WrapSocketOptions): SSLSocket {
    if (!(sock instanceof Socket)) {
      throw new TypeError(`wrapSocket(): sock must be a sockit/sync Socket, got ${describe(sock)}`);
    }
    if (sock instanceof SSLSocket)
      throw new TypeError("wrapSocket(): sock is a TLS socket already");
    const o = checkWrapOptions(options);
    const d = descriptorOf(sock);
    if (d.closed) throw closedError("wrapSocket");
    o.signal?.throwIfAborted();
    const sent: WrapSocketOptions = {
      server: o.server,
      doHandshakeOnConnect: o.doHandshakeOnConnect,
      timeout: o.timeout === undefined ? d.timeout : o.timeout,
      ...(o.serverHostname === undefined ? {} : { serverHostname: o.serverHostname }),
    };
    const context = contextIdOf(this);
    const id = d.id;
    let info: SocketInfo;
    try {
      info = Bridge.get().call("wrapSocket", [context, id, d.handBack(), sent]) as SocketInfo;
    } catch (error) {
      // A handshake that failed after TLS started has detached (and closed) the socket.
      if (Bridge.get().call("closed", [id]) === true) d.close();
      throw error;
    }
    return sslSocketOf(d.successor(info), this, info.tls!);
  }
}

/**
 * Python's `ssl.create_default_context()` for `sockit/sync`: the async flavour's options and
 * defaults (the system's CA store, host name checks, TLS 1.2 and newer), with calls that block.
 *
 * @example
 * ```ts
 * import { createConnection, createDefaultContext } from "sockit/sync";
 * const sock = createConnection(["example.com", 443], { tls: createDefaultContext() });
 * sock.sendAll("HEAD / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
 * const status = sock.recvUntil("\r\n");
 * ```
 */
export function createDefaultContext(options?: SSLContextOptions): SSLContext {
  return new SSLContext(options);
}
