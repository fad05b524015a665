/**
 * One TLS connection's state: the `tls.TLSSocket` over the connection's `net.Socket`, the stream
 * transport over it (the very `Stream` a plain connection uses, adopted, so every call and
 * promise of a plain socket holds), and the handshake.
 *
 * While the handshake runs, the stream is "connecting": sending and receiving calls are not
 * ready (they wait, or fail with BlockingIOError on a non-blocking socket), the socket is
 * neither readable nor writable, and it becomes writable when the handshake is done, as after
 * a non-blocking `connect`. A handshake that fails leaves its error pending, raised by the next
 * call (`doHandshake` or a data call) as an SSLError; errors after the handshake become SSLErrors
 * too, raised by the call that meets them. Nothing here is ever thrown from an event.
 *
 * Clients start TLS with `tls.connect({ socket })`, which checks the server's certificate and
 * name; servers with `new tls.TLSSocket(socket, { isServer })`, checking the client's
 * certificate here after the handshake, as `tls.Server` does.
 */

import type { X509Certificate } from "node:crypto";
import * as net from "node:net";
import * as tls from "node:tls";
import { fromNodeError, type SocketErrorOptions } from "../core/errors.js";
import { Stream } from "../socket/stream.js";
import { NO_SINK, type PendingError, type TransportSink } from "../socket/transport.js";
import { SSLEOFError, SSLError, toSSLError } from "./errors.js";
import { canVerifyPeer, releaseControl, verifyErrorOf } from "./tls-internals.js";

/** What a connection needs from its context (context.ts makes it). */
export interface TlsSettings {
  readonly secureContext: tls.SecureContext;
  readonly verifyMode: number;
  readonly checkHostname: boolean;
  readonly requestCert: boolean;
  readonly alpnProtocols: readonly string[] | undefined;
  readonly hasCert: boolean;
}

/** Which side, and the server's name a client checks. */
export interface SessionOptions {
  readonly server: boolean;
  readonly serverHostname: string | null;
  /** The peer's address, for messages. */
  readonly label: string;
}

const CERT_NONE = 0;
const CERT_REQUIRED = 2;

/** See the module comment. */
export class TlsSession {
  readonly settings: TlsSettings;
  readonly serverSide: boolean;
  readonly serverHostname: string | null;
  readonly tls: tls.TLSSocket;
  /** The TCP (or Unix) connection under TLS. */
  readonly raw: net.Socket;
  readonly stream: Stream;
  #state: "handshaking" | "done" | "failed" = "handshaking";
  /** How the handshake failed, raised by every later `doHandshake`. */
  #failure: PendingError | undefined;
  /**
   * The peer's certificate, taken when the handshake is done: Node.js stops answering for it
   * once a TLS 1.3 session ticket has arrived.
   */
  #peerCertificate: X509Certificate | undefined;
  #sink: TransportSink = NO_SINK;

  private constructor(
    settings: TlsSettings,
    raw: net.Socket,
    socket: tls.TLSSocket,
    options: SessionOptions,
  ) {
    this.settings = settings;
    this.serverSide = options.server;
    this.serverHostname = options.serverHostname;
    this.raw = raw;
    this.tls = socket;
    this.stream = Stream.adopt(socket, NO_SINK);
    this.stream.label = options.label;
    this.stream.state = "connecting";
    this.stream.endOnClose = true;
    // Its descriptor carries TLS records: never read it as data.
    this.stream.layered = true;
    // Before the stream's own listener, so the error it keeps is already the TLS one.
    socket.prependListener("error", (error: Error) => this.#onError(error));
    socket.once("end", () => this.#fail(EOF));
    socket.once("close", () => this.#fail(EOF));
  }

  /**
   * Starts TLS over `raw`, a connected `net.Socket` no one else reads: `head` (bytes already
   * received from it) goes to TLS first, then what arrives next.
   */
  static start(
    settings: TlsSettings,
    raw: net.Socket,
    head: Buffer,
    options: SessionOptions,
  ): TlsSession {
    // Node's TLSSocket takes what waits in the socket's readable buffer before its own reads.
    if (head.length > 0) raw.unshift(head);
    const alpn =
      settings.alpnProtocols === undefined ? {} : { ALPNProtocols: [...settings.alpnProtocols] };
    let socket: tls.TLSSocket;
    if (options.server) {
      socket = new tls.TLSSocket(raw, {
        isServer: true,
        secureContext: settings.secureContext,
        requestCert: settings.requestCert,
        rejectUnauthorized: settings.requestCert && settings.verifyMode === CERT_REQUIRED,
        ...alpn,
      });
    } else {
      const host = options.serverHostname ?? "";
      socket = tls.connect({
        socket: raw,
        secureContext: settings.secureContext,
        // SNI carries names, never addresses (RFC 6066); an address is still checked.
        ...(net.isIP(host) !== 0 ? { host } : { host, servername: host }),
        rejectUnauthorized: settings.verifyMode !== CERT_NONE,
        checkServerIdentity: settings.checkHostname ? tls.checkServerIdentity : () => undefined,
        ...alpn,
      });
    }
    const session = new TlsSession(settings, raw, socket, options);
    if (options.server) socket.once("secure", () => session.#serverSecure());
    else socket.once("secureConnect", () => session.#done());
    return session;
  }

  /** Who hears readiness changes (the TLS socket's descriptor). */
  setSink(sink: TransportSink): void {
    this.#sink = sink;
  }

  /** The handshake's attempt: done, failed (raises), or still running (false). */
  handshakeDone(options: SocketErrorOptions): boolean {
    if (this.#state === "done") return true;
    const failure = this.#failure;
    if (failure === undefined) return false;
    // The first call that looks raises what is pending; later ones raise it again.
    if (this.stream.pending === failure) this.stream.pending = null;
    throw failure.raise?.(options) ?? fromNodeError(failure.cause, options);
  }

  /** True once the handshake is done. */
  get established(): boolean {
    return this.#state === "done";
  }

  /** The peer's certificate, if it sent one (once the handshake is done). */
  get peerCertificate(): X509Certificate | undefined {
    return this.#peerCertificate;
  }

  #serverSecure(): void {
    const { requestCert, verifyMode } = this.settings;
    this.#peerCertificate = this.tls.getPeerX509Certificate();
    if (requestCert && verifyMode !== CERT_NONE) {
      if (this.#peerCertificate === undefined) {
        // CERT_OPTIONAL lets a client without a certificate in (CERT_REQUIRED never gets here).
      } else if (!canVerifyPeer(this.tls)) {
        this.#refuse(
          new SSLError("NO_VERIFY_RESULT", "this runtime cannot verify client certificates"),
        );
        return;
      } else {
        const error = verifyErrorOf(this.tls);
        if (error !== null) {
          this.#refuse(error);
          return;
        }
      }
    }
    releaseControl(this.tls);
    this.#done();
  }

  /** Ends a handshake whose peer failed verification here: the connection is closed. */
  #refuse(error: Error): void {
    this.#fail(error);
    this.tls.destroy();
  }

  #done(): void {
    if (this.#state !== "handshaking") return;
    this.#peerCertificate ??= this.tls.getPeerX509Certificate();
    this.#state = "done";
    this.stream.state = "open";
    this.#sink.writableChanged();
    if (this.stream.readable) this.#sink.readableChanged();
  }

  #onError(error: Error): void {
    if (this.#state === "handshaking") {
      this.#fail(error);
      return;
    }
    // After the handshake: the stream keeps the first error; make it raise as an SSLError.
    const hostname = this.serverHostname;
    if (this.stream.pending === null && toSSLError(error, {}) !== undefined) {
      this.stream.pending = pendingOf(error, hostname);
    }
  }

  #fail(error: Error | typeof EOF): void {
    if (this.#state !== "handshaking") return;
    this.#state = "failed";
    const failure =
      error === EOF
        ? {
            code: "SSL_ERROR_EOF",
            cause: error,
            raise: (o: SocketErrorOptions) => new SSLEOFError(o),
          }
        : pendingOf(error, this.serverHostname);
    this.#failure = failure;
    this.stream.state = "failed";
    if (this.stream.pending === null) this.stream.pending = failure;
    this.#sink.readableChanged();
    this.#sink.writableChanged();
  }
}

/** The connection ended during the handshake. */
const EOF: unique symbol = Symbol("eof");

/** A pending error that raises as the SSLError of `error` (or as itself, if not a TLS error). */
function pendingOf(error: Error, hostname: string | null): PendingError {
  const probe = toSSLError(error, { hostname });
  return {
    code: probe?.code ?? String((error as { code?: unknown }).code ?? "EIO"),
    cause: error,
    raise:
      probe === undefined
        ? undefined
        : (options) => toSSLError(error, { ...options, hostname }) ?? probe,
  };
}
