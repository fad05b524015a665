/**
 * A synchronous socket's insides: the mode, deadlines and options this thread keeps (the same
 * PollDesc and options table as the async flavour), and the socket the helper thread holds for
 * it, by id.
 *
 * Once connected, a stream is usually handed over (see helper.ts): its sending and receiving
 * calls then run here, on the descriptor itself (fd-stream.ts), under the same policy as the
 * async flavour (`runSync`: one try, then the mode decides; a blocking call without a deadline
 * waits in the kernel).
 *
 * Every other call runs as in the async flavour up to the point where it would wait: the
 * operations table's argument checks, then the start checks in order (closed, aborted signal,
 * passed deadline). Then the helper runs the same call of the async API with this call's
 * timeout, so the waiting and the "nothing lost" rules are the async API's own, and this thread
 * sleeps until the answer comes.
 */

import { isMainThread } from "node:worker_threads";
import { describe as show } from "../core/checks.js";
import { now } from "../core/clock.js";
import { MSG_PEEK } from "../core/constants.js";
import { BrokenPipeError, SocketError } from "../core/errors.js";
import type { Address, Endpoint } from "../net/address.js";
import { toEndpoint } from "../net/address.js";
import {
  callTimeout,
  checkWaitOptions,
  closedError,
  type NOT_READY,
  type Operation,
  startChecks,
  type WaitOptions,
} from "../socket/operation.js";
import type { Adopt, ConnectCall, SocketCore } from "../socket/operations.js";
import { type BlockingTarget, type Direction, PollDesc, runSync } from "../socket/policy.js";
import { getOption, type OptionName, OptionValues, setOption } from "../socket/sockopts.js";
import { Bridge } from "./bridge.js";
import { FdStream } from "./fd-stream.js";
import type { CallResult, Direct, SocketInfo } from "./helper.js";
import { asBuffer } from "./protocol.js";

/** An operation of the table as the synchronous flavour runs it. */
export type SyncOperation = Operation<SyncDescriptor, unknown[], unknown, unknown>;

/**
 * Whether call `name` runs on a handed-over stream's descriptor. (A switch over the names, not a
 * Set: every data call asks, and comparing a few constant strings costs less than hashing one.)
 */
function isDataCall(name: string): boolean {
  switch (name) {
    case "send":
    case "sendAll":
    case "recv":
    case "recvInto":
    case "recvExactly":
    case "recvUntil":
      return true;
    default:
      return false;
  }
}

/** Longest sleep between tries while waiting for room to send, ms. */
const MAX_SEND_BACKOFF_MS = 20;

/** See the module comment. */
export class SyncDescriptor extends PollDesc implements SocketCore, BlockingTarget {
  readonly family: number;
  readonly type: number;
  #id: number | undefined;
  #listening = false;
  #options: OptionValues | undefined;
  /** The handed-over stream, once there is one. */
  #direct: FdStream | undefined;
  /** The descriptor's blocking mode as last set (it starts non-blocking, as libuv makes it). */
  #kernelWaits = false;
  /** Whether the call in progress may wait in the kernel. */
  #mayBlock = false;
  #sendBackoff = 1;

  constructor(family: number, type: number, info?: SocketInfo, listening = false) {
    super();
    this.family = family;
    this.type = type;
    this.#id = info?.id;
    this.#listening = listening;
    this.#adoptDirect(info?.direct);
  }

  #adoptDirect(direct: Direct | undefined): void {
    if (direct === undefined || this.#direct !== undefined) return;
    this.#direct = new FdStream(direct.fd, direct.leftover, direct.label);
    this.#kernelWaits = direct.blocking === true;
    this.#direct.blocking = this.#kernelWaits;
  }

  /** The helper's socket, made on first use. */
  get id(): number {
    this.#id ??= (Bridge.get().call("open", [this.family, this.type]) as SocketInfo).id;
    return this.#id;
  }

  /** Whether bytes read from the kernel wait here (a selector must report them). */
  get buffered(): boolean {
    return (this.#direct?.rx.length ?? 0) > 0;
  }

  override describe(): string | undefined {
    return this.#direct?.label;
  }

  // --- what the operations table's argument checks ask --------------------------------------

  endpoint(address: unknown, op: string): Endpoint {
    return toEndpoint(this.family, address, op);
  }

  listening(op: string): void {
    if (!this.#listening && !this.closed) {
      throw new SocketError("EINVAL", { op }, "socket is not listening");
    }
  }

  receiveBufferSize(): number {
    return this.#options?.rcvbuf ?? new OptionValues().rcvbuf;
  }

  stream(op: string, direction: Direction): FdStream {
    if (this.#direct !== undefined) return this.#direct;
    if (direction === "write") throw new BrokenPipeError("EPIPE", { op });
    throw new SocketError("ENOTCONN", { op });
  }

  openStream(): FdStream | undefined {
    return this.#direct;
  }

  // The helper runs these; the table's attempts for them never run here.
  bind(_endpoint: Endpoint): undefined {
    return remoteOnly();
  }
  listen(_backlog: number): undefined {
    return remoteOnly();
  }
  accept(_op: string): typeof NOT_READY {
    return remoteOnly();
  }
  exhaustion(_op: string): undefined {
    return remoteOnly();
  }
  connect(_call: ConnectCall): undefined {
    return remoteOnly();
  }
  cancelConnect(_call: ConnectCall): void {
    remoteOnly();
  }

  // --- waiting on this thread (BlockingTarget) ---------------------------------------------

  beginCall(mayBlock: boolean): void {
    // Only the main thread may wait in the kernel: a worker blocked in read(2) cannot be
    // terminated, and would hold up the process's exit (see the README).
    this.#mayBlock = mayBlock && isMainThread;
    if (!this.#mayBlock) this.#setKernelWaits(false);
  }

  /** Puts the descriptor in blocking mode or back (a call to the helper, made only on change). */
  #setKernelWaits(kernel: boolean): void {
    if (kernel === this.#kernelWaits) return;
    if (Bridge.get().call("setBlocking", [this.id, kernel]) === true) this.#kernelWaits = kernel;
    this.#direct!.blocking = this.#kernelWaits;
  }

  waitReady(direction: Direction, until: number): void {
    if (this.#mayBlock && until === Number.POSITIVE_INFINITY && !this.#kernelWaits) {
      // The next try blocks in the kernel, as a blocking Python socket does. The descriptor
      // stays so until a call that must not block comes.
      this.#setKernelWaits(true);
      if (this.#kernelWaits) return;
    }
    if (direction === "read") {
      this.#sendBackoff = 1;
      Bridge.get().waitReadable(this.id, until);
      return;
    }
    // No probe tells when a descriptor can take more: try again after a short sleep, longer
    // each time (a full send buffer drains at the peer's pace).
    const left = until - now();
    const ms = Math.max(0, Math.min(this.#sendBackoff, left));
    Atomics.wait(SLEEP, 0, 0, ms);
    this.#sendBackoff = Math.min(this.#sendBackoff * 2, MAX_SEND_BACKOFF_MS);
  }

  // --- the calls that can wait ------------------------------------------------------------

  /** Runs `op` with `args` (see the module comment) and returns its value. */
  run(op: SyncOperation, args: unknown[]): unknown {
    if (this.#direct !== undefined && isDataCall(op.name)) {
      const value = runSync(this, op, args);
      this.#sendBackoff = 1;
      return value;
    }
    const arg = op.prepare(this, ...args);
    const options = checkWaitOptions(op.options(...args), op.name);
    const call = op as Operation<SyncDescriptor, never, unknown, unknown>;
    const timeout = callTimeout(this, call, options);
    startChecks(this, call, options?.signal);
    // The helper runs the call with this call's own timeout (the helper's socket has none of
    // this thread's settings): in place of the options, or after the other arguments.
    const sent: WaitOptions = { ...withoutSignal(options), timeout };
    const wire = args.map((a) => (a === options ? sent : a));
    if (options === undefined) {
      while (wire.length > 0 && wire[wire.length - 1] === undefined) wire.pop();
      if (!op.ignoresMode) wire.push(sent);
    }
    switch (op.name) {
      case "accept": {
        const [info, address] = this.#call("accept", wire.slice(1)) as [SocketInfo, Address];
        const accepted = new SyncDescriptor(info.family, info.type, info);
        return [(arg as Adopt<unknown, SyncDescriptor>)(accepted), address];
      }
      case "recvInto":
      case "recvFromInto": {
        // The helper cannot write into this thread's buffer: receive, then copy.
        const into = arg as { buffer: Uint8Array; n: number; peek?: boolean; flags?: number };
        const flags = into.peek === true ? MSG_PEEK : (into.flags ?? 0);
        if (op.name === "recvInto") {
          const data = this.#call("recv", [into.n, flags, sent]) as Uint8Array;
          into.buffer.set(data);
          return data.length;
        }
        const [data, address] = this.#call("recvFrom", [into.n, flags, sent]) as [
          Uint8Array,
          Address,
        ];
        into.buffer.set(data);
        return [data.length, address];
      }
      case "recvFrom": {
        const [data, address] = this.#call(op.name, wire) as [Uint8Array, Address];
        return [asBuffer(data), address];
      }
      case "listen": {
        const value = this.#call(op.name, wire);
        this.#listening = true;
        return value;
      }
      default: {
        const value = this.#call(op.name, wire);
        return value instanceof Uint8Array ? asBuffer(value) : value;
      }
    }
  }

  // --- the calls that never wait ------------------------------------------------------------

  override setDeadline(at: unknown): void {
    super.setDeadline(at);
    this.#mirror("setDeadline", [epochOf(at)]);
  }

  override setReadDeadline(at: unknown): void {
    super.setReadDeadline(at);
    this.#mirror("setReadDeadline", [epochOf(at)]);
  }

  override setWriteDeadline(at: unknown): void {
    super.setWriteDeadline(at);
    this.#mirror("setWriteDeadline", [epochOf(at)]);
  }

  shutdown(how: unknown): void {
    if (this.closed) throw closedError("shutdown");
    if (typeof how !== "number") {
      throw new RangeError(
        `shutdown(): how must be SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2), got ${show(how)}`,
      );
    }
    this.immediate("shutdown", [how]);
    if (how !== 1) this.#direct?.shutRead();
    if (how !== 0) this.#direct?.shutWrite();
  }

  /**
   * Gives a handed-over stream back to the helper, which starts TLS over it: returns what this
   * thread had read and not taken (TLS reads it first); from now on the calls are requests
   * again, with the descriptor non-blocking (the helper makes it so).
   */
  handBack(): Uint8Array {
    const rx = this.#direct?.rx;
    this.#direct = undefined;
    this.#kernelWaits = false;
    return rx === undefined ? new Uint8Array(0) : rx.read(rx.length);
  }

  /**
   * The descriptor of the TLS socket the helper made over this one: it keeps this one's timeout
   * and options, and this one is closed here (detached: TLS owns the connection).
   */
  successor(info: SocketInfo): SyncDescriptor {
    const next = new SyncDescriptor(info.family, info.type, info);
    next.timeout = this.timeout;
    next.#options = this.#options;
    this.closed = true;
    return next;
  }

  /** Closed here, but the socket stays open for whoever adopts its descriptor; returns it. */
  detach(): number {
    if (this.closed) return -1;
    const fd = this.#direct?.fd ?? this.fileno();
    // What this thread read but nobody took goes with the socket, to whoever adopts it.
    const rx = this.#direct?.rx;
    if (rx !== undefined && rx.length > 0) {
      Bridge.get().call("detach", [this.id, rx.read(rx.length)]);
    }
    this.closed = true;
    return fd;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Unread data makes Linux reset the connection at close; so does unread data held here.
    const unread = (this.#direct?.rx.length ?? 0) > 0;
    if (this.#id !== undefined) Bridge.get().send("close", [this.#id, unread]);
  }

  /** Datagrams the helper's socket dropped for want of room in its receive queue. */
  get dropped(): number {
    if (this.closed || this.#id === undefined) return 0;
    return Bridge.get().call("dropped", [this.#id]) as number;
  }

  getsockname(): Address {
    if (this.closed) throw closedError("getsockname");
    return this.immediate("getsockname", []) as Address;
  }

  getpeername(): Address {
    if (this.closed) throw closedError("getpeername");
    return this.immediate("getpeername", []) as Address;
  }

  fileno(): number {
    if (this.closed || this.#id === undefined) return -1;
    // A handed-over stream's descriptor is known here: no need to ask.
    return this.#direct?.fd ?? (this.immediate("fileno", []) as number);
  }

  setsockopt(level: unknown, option: unknown, value: unknown): void {
    if (this.closed) throw closedError("setsockopt");
    // Checked and recorded here first (same table, same errors), then applied by the helper.
    this.#options ??= new OptionValues();
    setOption(
      { options: this.#options, type: this.type, apply: ignore, takeErrorCode: none },
      level,
      option,
      value,
    );
    this.immediate("setsockopt", [level, option, value]);
  }

  getsockopt(level: unknown, option: unknown): number | null {
    if (this.closed) throw closedError("getsockopt");
    this.#options ??= new OptionValues();
    // Checked here (same errors), answered by the helper (SO_ERROR lives there).
    getOption(
      { options: this.#options, type: this.type, apply: ignore, takeErrorCode: none },
      level,
      option,
    );
    return this.immediate("getsockopt", [level, option]) as number | null;
  }

  /**
   * A call of the helper's socket: its value (and the hand-over, once connected). Calls that
   * wait carry their own timeout (see run): the helper's sockets have none of this thread's
   * settings.
   */
  #call(method: string, args: unknown[]): unknown {
    const result = Bridge.get().call("call", [this.id, method, args]) as CallResult;
    this.#adoptDirect(result.direct);
    return result.value;
  }

  /** A call that never waits, made on the helper's socket. */
  immediate(method: string, args: unknown[]): unknown {
    return this.#call(method, args);
  }

  /** A setting copied to the helper's socket (no answer needed: it was checked here). */
  #mirror(method: string, args: unknown[]): void {
    if (this.#id !== undefined || !this.closed) Bridge.get().send("call", [this.id, method, args]);
  }
}

function withoutSignal(options: WaitOptions | undefined): WaitOptions | undefined {
  if (options === undefined || options.signal === undefined) return options;
  const { signal: _signal, ...rest } = options;
  return rest;
}

function epochOf(at: unknown): number | null {
  return at instanceof Date ? at.getTime() : (at as number | null);
}

function ignore(_changed: OptionName): void {}

function remoteOnly(): never {
  throw new Error("sockit/sync runs this call in its helper thread");
}

/** A word nobody notifies: `Atomics.wait` on it is a sleep. */
const SLEEP = new Int32Array(new SharedArrayBuffer(4));

function none(): undefined {
  return undefined;
}
