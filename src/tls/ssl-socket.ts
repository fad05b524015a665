/**
 * `SSLSocket`: Python's `ssl.SSLSocket`, a sockit `Socket` whose connection runs TLS. Every call
 * of a plain stream socket works unchanged on it (the same operations table and mode policy, over
 * a stream transport whose `net.Socket` is the `tls.TLSSocket`); this class adds the handshake and
 * what the TLS session knows.
 *
 * @module
 */

import { SocketError } from "../core/errors.js";
import type { AddressInput } from "../net/address.js";
import { READINESS, type Readiness } from "../selectors/readiness.js";
import type { Descriptor } from "../socket/descriptor.js";
import { descriptorOf as fdOf } from "../socket/node-internals.js";
import { closedError, type WaitOptions } from "../socket/operation.js";
import { run } from "../socket/policy.js";
import { descriptorOf, Socket, socketOf } from "../socket/socket.js";
import { decodeCertificate, type PeerCertificate } from "./certificate.js";
import type { SSLContext } from "./context.js";
import { HANDSHAKE } from "./handshake.js";
import type { TlsSession } from "./session.js";

/** What the constructor takes from {@link sslSocketOf}. */
let creating: { session: TlsSession; context: SSLContext } | undefined;

const CERT_NONE = 0;

/**
 * A TLS connection with the API of a stream `Socket`, made by {@link SSLContext.wrapSocket} or
 * `createConnection(address, { tls })`. `recv`, `sendAll`, `recvExactly`, selectors,
 * `makefile` and the rest see and send application data; `shutdown(SHUT_WR)` and `close()` send
 * TLS's close_notify first. It is readable when decrypted data (or the end, or an error) is
 * ready, so {@link SSLSocket.pending} never needs checking before `select`.
 */
export class SSLSocket extends Socket {
  readonly #session: TlsSession;
  readonly #context: SSLContext;
  #readiness: Readiness | undefined;

  /** There is no public constructor: {@link SSLContext.wrapSocket} makes TLS sockets. */
  constructor() {
    const made = creating;
    creating = undefined;
    super();
    if (made === undefined) {
      throw new TypeError(
        "SSLSocket has no public constructor: use SSLContext.wrapSocket() or createConnection(address, { tls })",
      );
    }
    this.#session = made.session;
    this.#context = made.context;
  }

  /** The context the socket was made with. */
  get context(): SSLContext {
    return this.#context;
  }

  /** True for the server side of the connection. */
  get serverSide(): boolean {
    return this.#session.serverSide;
  }

  /** The server's name a client sent (SNI) and checked, or null (servers). */
  get serverHostname(): string | null {
    return this.#session.serverHostname;
  }

  /**
   * Waits until the handshake is done (resolves at once once it is), under the socket's mode:
   * a non-blocking socket fails with `BlockingIOError` (`EAGAIN`) until it is, as Python's
   * `do_handshake` raises `SSLWantReadError`; wait for EVENT_WRITE, as after a non-blocking
   * `connect`. A failed handshake raises its SSLError (every time it is asked).
   */
  doHandshake(options?: WaitOptions): Promise<void> {
    return run(descriptorOf(this), HANDSHAKE, this.#session, options);
  }

  /**
   * The peer's certificate: Python's dict (an empty object when it was not verified, i.e. with
   * `CERT_NONE`), or its DER bytes with `{ binary: true }`; null when the peer sent none.
   */
  getpeercert(options: { binary: true }): Buffer | null;
  getpeercert(options?: {
    binary?: false | undefined;
  }): PeerCertificate | Record<string, never> | null;
  getpeercert(options?: {
    binary?: boolean | undefined;
  }): PeerCertificate | Buffer | Record<string, never> | null;
  getpeercert(options?: {
    binary?: boolean | undefined;
  }): PeerCertificate | Buffer | Record<string, never> | null {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(
        "getpeercert(): options must be an options object such as { binary: true }",
      );
    }
    this.#established("getpeercert");
    const certificate = this.#session.peerCertificate;
    if (certificate === undefined) return null;
    if (options?.binary === true) return certificate.raw;
    const { verifyMode, requestCert } = this.#session.settings;
    const verified = verifyMode !== CERT_NONE && (!this.serverSide || requestCert);
    return verified ? decodeCertificate(certificate.raw) : {};
  }

  /** The protocol version, e.g. `"TLSv1.3"`; null before the handshake is done. */
  version(): string | null {
    return this.#session.established ? this.#session.tls.getProtocol() : null;
  }

  /**
   * The cipher in use as Python's `[name, protocol, secretBits]`, e.g.
   * `["TLS_AES_256_GCM_SHA384", "TLSv1.3", 256]`; null before the handshake is done.
   */
  cipher(): [name: string, protocol: string, secretBits: number] | null {
    if (!this.#session.established) return null;
    const cipher = this.#session.tls.getCipher();
    if (cipher === undefined || cipher === null) return null;
    return [cipher.name, cipher.version, secretBits(cipher.name)];
  }

  /** The protocol ALPN agreed on (one of the context's `alpnProtocols`), or null. */
  selectedAlpnProtocol(): string | null {
    const protocol = this.#session.established ? this.#session.tls.alpnProtocol : false;
    return typeof protocol === "string" ? protocol : null;
  }

  /** Bytes already decrypted and buffered, which a `recv` returns without waiting. */
  pending(): number {
    return this.closed ? 0 : this.#session.stream.rx.length;
  }

  /** A TLS socket is connected already: `EISCONN`. */
  override connect(_address: AddressInput, _options?: WaitOptions): Promise<void> {
    return Promise.reject(this.#connected("connect"));
  }

  /** A TLS socket is connected already: resolves to `EISCONN`'s errno. */
  override connectEx(_address: AddressInput, _options?: WaitOptions): Promise<number> {
    return Promise.resolve(this.#connected("connectEx").errno ?? 0);
  }

  /** The OS descriptor of the connection under TLS, or −1 when closed. */
  override fileno(): number {
    return this.closed ? -1 : fdOf(this.#session.raw);
  }

  /** @internal What a selector watches (the descriptor's, with the real `fileno`). */
  override get [READINESS](): Readiness {
    if (this.#readiness === undefined) {
      const inner = descriptorOf(this).readiness;
      this.#readiness = {
        readable: inner.readable,
        writable: inner.writable,
        fileno: () => this.fileno(),
        observe: inner.observe,
      };
    }
    return this.#readiness;
  }

  #established(op: string): void {
    if (this.closed) throw closedError(op);
    if (!this.#session.established) {
      throw new SocketError("ENOTCONN", { op }, "the TLS handshake is not done yet");
    }
  }

  #connected(op: string): SocketError {
    if (this.closed) return closedError(op);
    return new SocketError("EISCONN", { op }, "a TLS socket is connected already");
  }
}

/** @internal The TLS socket of a descriptor over a session's stream. */
export function sslSocketOf(
  descriptor: Descriptor,
  session: TlsSession,
  context: SSLContext,
): SSLSocket {
  creating = { session, context };
  try {
    return socketOf(descriptor, SSLSocket);
  } finally {
    creating = undefined;
  }
}

/** Secret bits of a cipher from its name, as OpenSSL counts them. */
function secretBits(name: string): number {
  if (/CHACHA20/.test(name)) return 256;
  if (/3DES|DES-CBC3/.test(name)) return 112;
  const bits = /(128|256)/.exec(name);
  return bits === null ? 0 : Number(bits[1]);
}
