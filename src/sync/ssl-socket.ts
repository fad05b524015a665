/**
 * The `SSLSocket` of `sockit/sync`: a synchronous `Socket` whose connection runs TLS. Its TLS
 * session lives in the helper thread (helper-tls.ts), so every call is a request there, as for
 * a datagram socket: the same operations table, argument checks, modes, timeouts and errors as
 * the async `SSLSocket`, each call blocking until it is done.
 *
 * @module
 */

import { SocketError } from "../core/errors.js";
import { closedError } from "../socket/operation.js";
import type { SSLSocket as AsyncSSLSocket } from "../tls/ssl-socket.js";
import type { SyncDescriptor, SyncOperation } from "./descriptor.js";
import type { TlsInfo } from "./helper-tls.js";
import { asBuffer } from "./protocol.js";
import { adopt, type Blocking, descriptorOf, Socket } from "./socket.js";
import type { SSLContext } from "./tls.js";

/** The calls a TLS socket adds: the async `SSLSocket`'s, blocking. */
type TlsCalls = Blocking<
  Pick<
    AsyncSSLSocket,
    "doHandshake" | "getpeercert" | "version" | "cipher" | "selectedAlpnProtocol" | "pending"
  >
>;

/** The session calls that never wait, and what each answers once the socket is closed. */
const SESSION_CALLS: ReadonlyArray<[name: keyof TlsCalls, whenClosed: "EBADF" | null | 0]> = [
  ["getpeercert", "EBADF"],
  ["version", null],
  ["cipher", null],
  ["selectedAlpnProtocol", null],
  ["pending", 0],
];

/** `doHandshake`: the helper's TLS socket waits for its handshake with this call's timeout. */
const HANDSHAKE: SyncOperation = {
  name: "doHandshake",
  direction: "write",
  prepare: () => undefined,
  options: (options) => options,
  attempt: () => {
    throw new Error("sockit/sync runs the handshake in its helper thread");
  },
};

/** What the constructor takes from {@link sslSocketOf}. */
let creating: { context: SSLContext; tls: TlsInfo } | undefined;

/**
 * A TLS connection with the calls of a synchronous stream `Socket`, made by
 * {@link SSLContext.wrapSocket} or `createConnection(address, { tls })`; see the async
 * `SSLSocket` for what each call does.
 */
export interface SSLSocket extends TlsCalls {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the session calls are installed below, each a request to the helper; the interface gives them the async SSLSocket's types and documentation.
export class SSLSocket extends Socket {
  readonly #context: SSLContext;
  readonly #tls: TlsInfo;

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
    this.#context = made.context;
    this.#tls = made.tls;
  }

  /** The context the socket was made with. */
  get context(): SSLContext {
    return this.#context;
  }

  /** True for the server side of the connection. */
  get serverSide(): boolean {
    return this.#tls.serverSide;
  }

  /** The server's name a client sent (SNI) and checked, or null (servers). */
  get serverHostname(): string | null {
    return this.#tls.serverHostname;
  }

  /**
   * A TLS socket cannot be detached: its session lives in the helper thread, not in the
   * descriptor (`EOPNOTSUPP`). Another thread can use the socket object itself.
   */
  override detach(): number {
    throw new SocketError(
      "EOPNOTSUPP",
      { op: "detach" },
      "a TLS socket cannot be detached: its session is not in the descriptor",
    );
  }

  static {
    const proto = SSLSocket.prototype as unknown as Record<PropertyKey, unknown>;
    const define = (name: string, value: unknown): void => {
      Object.defineProperty(proto, name, { value, writable: true, configurable: true });
    };
    define("doHandshake", function (this: SSLSocket, ...args: unknown[]): unknown {
      return descriptorOf(this).run(HANDSHAKE, args);
    });
    for (const [name, whenClosed] of SESSION_CALLS) {
      define(name, function (this: SSLSocket, ...args: unknown[]): unknown {
        const d = descriptorOf(this);
        if (d.closed) {
          if (whenClosed === "EBADF") throw closedError(name);
          return whenClosed;
        }
        const value = d.immediate(name, args);
        return value instanceof Uint8Array ? asBuffer(value) : value;
      });
    }
  }
}

/** @internal The TLS socket over a descriptor of the helper's TLS socket. */
export function sslSocketOf(d: SyncDescriptor, context: SSLContext, tls: TlsInfo): SSLSocket {
  creating = { context, tls };
  try {
    return adopt(d, SSLSocket);
  } finally {
    creating = undefined;
  }
}
