/**
 * The `Socket` class of `sockit/sync`: the same calls as the async `Socket`, each returning its
 * value and blocking the calling thread until it is ready.
 *
 * The class is built from the async flavour's lists rather than written twice: every waiting
 * call is the operations table's entry of the same name (run by the descriptor), and every call
 * that never waits is the descriptor's method of the same name. Its type is the async `Socket`'s
 * with each promise replaced by its value, so the documentation of each call is the async one.
 *
 * @module
 */

import { describe } from "../core/checks.js";
import { AF_INET, SOCK_DGRAM, SOCK_STREAM } from "../core/constants.js";
import type { AddressInput } from "../net/address.js";
import { READINESS, type Readiness } from "../selectors/readiness.js";
import { DATAGRAM_OPERATIONS } from "../socket/datagram-operations.js";
import { checkFamily, checkSocketType } from "../socket/kinds.js";
import type { WaitOptions } from "../socket/operation.js";
import type { Data } from "../socket/operations.js";
import { OPERATIONS } from "../socket/operations.js";
import { type Socket as AsyncSocket, connectErrno, IMMEDIATE_CALLS } from "../socket/socket.js";
import { Bridge } from "./bridge.js";
import {
  SyncDescriptor as Descriptor,
  type SyncDescriptor,
  type SyncOperation,
} from "./descriptor.js";
import type { SocketInfo } from "./helper.js";

/** The value of an async call's promise, with async sockets turned into synchronous ones. */
type Synced<T> = T extends [AsyncSocket, infer A] ? [Socket, A] : T;

/**
 * The async socket's stream adapters, which sockit/sync does not have: they hand data to an
 * event loop, which a thread blocked in a call does not run.
 */
export type StreamAdapter =
  | "makefile"
  | "toDuplex"
  | "readable"
  | "writable"
  | typeof Symbol.asyncIterator;

/** An async API with each promise replaced by its value. */
export type Blocking<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: A) => Synced<R>
    : T[K];
};

/**
 * A socket whose calls block the calling thread (the main thread or a worker) until they are
 * ready, exactly as Python's: blocking by default, `setBlocking(false)` fails at once with
 * `BlockingIOError`, `setTimeout(s)` fails with `TimeoutError` after `s` seconds.
 *
 * @example
 * ```ts
 * import { createConnection } from "sockit/sync";
 * const sock = createConnection(["127.0.0.1", 8080], { timeout: 5 });
 * sock.sendAll("ping\n");
 * const reply = sock.recvUntil("\n");
 * sock.close();
 * ```
 */
export interface Socket
  extends Blocking<Omit<AsyncSocket, typeof Symbol.asyncDispose | StreamAdapter | "sendTo">> {
  /**
   * Sends `data` as one datagram to `address` (Python's `sendto(data[, flags], address)`) and
   * returns its length, once the kernel has the datagram. Datagrams only: `EOPNOTSUPP` on a
   * stream socket.
   */
  sendTo(data: Data, address: AddressInput, options?: WaitOptions): number;
  sendTo(data: Data, flags: number, address: AddressInput, options?: WaitOptions): number;
  /**
   * Puts the socket in the closed state without closing the connection, and returns its
   * descriptor: another thread takes the connection over with `new Socket(family, type, 0, fd)`
   * (Python's `detach` and `socket(fileno=fd)`).
   */
  detach(): number;
}

/** A descriptor being wrapped by `accept` (the constructor takes it instead of making one). */
let adopting: SyncDescriptor | undefined;

/** The descriptor of a synchronous socket (for the synchronous selectors and module functions). */
export let descriptorOf: (sock: Socket) => SyncDescriptor;

/**
 * Wraps a descriptor the helper made (accept, createConnection, socketpair, wrapSocket) in a
 * Socket, or in an object of the subclass `As` whose constructor calls `super()` without
 * arguments (a TLS socket).
 */
export let adopt: <S extends Socket = Socket>(descriptor: SyncDescriptor, As?: new () => S) => S;

export class Socket {
  readonly #d: SyncDescriptor;

  /**
   * Creates a socket; `family` is AF_INET, AF_INET6 or AF_UNIX, `type` SOCK_STREAM. With
   * `fileno`, the socket is the one another thread of this process detached (`proto` is
   * ignored, as on Linux for these families).
   */
  constructor(
    family: number = AF_INET,
    type: number = SOCK_STREAM,
    _proto = 0,
    fileno: number | null = null,
  ) {
    if (adopting !== undefined) {
      this.#d = adopting;
      adopting = undefined;
      return;
    }
    const checkedFamily = checkFamily(family);
    const checkedType = checkSocketType(type, checkedFamily);
    if (fileno === null || fileno === undefined) {
      this.#d = new Descriptor(checkedFamily, checkedType);
      return;
    }
    if (typeof fileno !== "number" || !Number.isInteger(fileno) || fileno < 0) {
      throw new TypeError(`Socket(): fileno must be a descriptor number, got ${describe(fileno)}`);
    }
    const info = Bridge.get().call("adopt", [fileno]) as SocketInfo;
    this.#d = new Descriptor(info.family, info.type, info);
  }

  static {
    descriptorOf = (sock) => sock.#d;
    adopt = <S extends Socket>(descriptor: SyncDescriptor, As?: new () => S): S => {
      adopting = descriptor;
      try {
        return As === undefined ? (new Socket() as S) : new As();
      } finally {
        adopting = undefined;
      }
    };
    const proto = Socket.prototype as unknown as Record<PropertyKey, unknown>;
    const define = (name: PropertyKey, value: unknown): void => {
      Object.defineProperty(proto, name, { value, writable: true, configurable: true });
    };
    for (const name of IMMEDIATE_CALLS) {
      define(name, function (this: Socket, ...args: unknown[]): unknown {
        const d = this.#d as unknown as Record<string, (...a: unknown[]) => unknown>;
        return d[name]!(...args);
      });
    }
    // A datagram socket's calls are the datagram entries of the table where it has them.
    const calls: Record<string, unknown> = { ...OPERATIONS, ...DATAGRAM_OPERATIONS };
    for (const name of Object.keys(calls)) {
      const stream = (OPERATIONS as Record<string, unknown>)[name] as SyncOperation | undefined;
      const datagram = (DATAGRAM_OPERATIONS as Record<string, unknown>)[name] as
        | SyncOperation
        | undefined;
      const pick = (d: SyncDescriptor): SyncOperation =>
        (d.type === SOCK_DGRAM ? (datagram ?? stream) : (stream ?? datagram))!;
      define(
        name,
        name === "accept"
          ? function (this: Socket, ...args: unknown[]): unknown {
              return this.#d.run(pick(this.#d), [adopt, ...args]);
            }
          : function (this: Socket, ...args: unknown[]): unknown {
              return this.#d.run(pick(this.#d), args);
            },
      );
    }
    define("connectEx", function (this: Socket, ...args: unknown[]): number {
      try {
        this.#d.run(OPERATIONS.connect as unknown as SyncOperation, args);
        return 0;
      } catch (error) {
        return connectErrno(error);
      }
    });
    define("detach", function (this: Socket): number {
      return this.#d.detach();
    });
    Object.defineProperty(proto, "dropped", {
      get(this: Socket): number {
        return this.#d.dropped;
      },
      configurable: true,
    });
    define(Symbol.dispose, function (this: Socket): void {
      this.#d.close();
    });
    // Selectors keep their keys in an async selector: to it, a synchronous socket is never
    // ready (the helper's selector is the one that waits).
    Object.defineProperty(proto, READINESS, {
      get(this: Socket): Readiness {
        const d = this.#d;
        return { readable: never, writable: never, fileno: () => d.fileno(), observe: () => never };
      },
      configurable: true,
    });
    for (const name of ["family", "type", "closed", "timeout"] as const) {
      Object.defineProperty(proto, name, {
        get(this: Socket) {
          return this.#d[name];
        },
        configurable: true,
      });
    }
  }
}

function never(): false {
  return false;
}

/** Creates a socket (Python's `socket.socket`). */
export function socket(family: number = AF_INET, type: number = SOCK_STREAM): Socket {
  return new Socket(family, type);
}
