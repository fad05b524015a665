/**
 * The one place that decides what "not ready" means (CPython's `sock_call_ex`).
 *
 * Every waiting operation is an `attempt`: a function that tries once without waiting and either
 * returns a result, throws, or returns {@link NOT_READY} having consumed nothing. `perform` runs
 * the checks SPEC orders (closed → aborted signal → passed deadline), tries once, and only if the
 * attempt is not ready lets the mode decide:
 *
 * - timeout `0` (non-blocking): reject at once with `BlockingIOError`;
 * - `null` (blocking): wait for the socket to signal a change in that direction and try again;
 * - `s > 0`: the same, but give up with `TimeoutError` at the earliest of the call's timeout, the
 *   direction's deadline and the abort signal.
 *
 * Because an attempt never consumes anything unless it succeeds, a timeout, an abort or a
 * non-blocking miss loses no data. The timeout bounds the whole call, so a call that needs several
 * waits (sendAll, recvExactly, recvUntil) is bounded as a whole, and a call that needs one wait
 * (recv, send, accept) gets the whole timeout, as in Python.
 */

import { cancel, type Expiry, insert, now, reschedule } from "../core/clock.js";
import { BlockingIOError, SocketError, TimeoutError } from "../core/errors.js";

/** Returned by an attempt that is not ready and consumed nothing. */
export const NOT_READY: unique symbol = Symbol("not ready");

/** One try of an operation. */
export type Attempt<T> = () => T | typeof NOT_READY;

/** One try of an operation as a plain function of the socket and one argument (no closure). */
export type AttemptWith<W, A, T> = (target: W, arg: A) => T | typeof NOT_READY;

/** Which way an operation goes; deadlines and wake-ups are per direction. */
export type Direction = "read" | "write";

/** The per-call options every waiting call takes as its last argument. */
export interface WaitOptions {
  /** Seconds for this call (`null` blocks, `0` does not wait); overrides the socket's timeout. */
  timeout?: number | null | undefined;
  /** Aborting rejects the call with the signal's reason; nothing is consumed. */
  signal?: AbortSignal | undefined;
}

/** A call waiting for its direction to change. */
export interface Waiter {
  /** Called by the socket when something changed in the waiter's direction. */
  retry(): void;
  /** Called when the direction's deadline moved. */
  deadlineMoved(): void;
}

/** What `perform` needs from a socket. */
export interface Waitable {
  /** True once closed: every call rejects with `EBADF`. */
  readonly closed: boolean;
  /** The socket's timeout in seconds (`null` blocking, `0` non-blocking). */
  readonly timeout: number | null;
  /** The direction's deadline, monotonic ms, or `null`. */
  deadline(direction: Direction): number | null;
  /** Appends a waiter to its direction's list. */
  addWaiter(direction: Direction, waiter: Waiter): void;
  /** Removes a waiter from its direction's list (harmless if it is not there). */
  removeWaiter(direction: Direction, waiter: Waiter): void;
  /** The address to name in error messages. */
  describe(): string | undefined;
}

/** Per-operation adjustments to the policy. */
export interface PerformHooks {
  /** The `code` of the `BlockingIOError` for a non-blocking miss (default `"EAGAIN"`). */
  notReadyCode?: string;
  /** Called once when the call gives up (timeout, deadline or abort), before it rejects. */
  onGiveUp?: (error: unknown) => void;
  /** Called with every error the call rejects with, before it rejects. */
  onError?: (error: unknown) => void;
  /** Called once when a call that had to wait settles, either way. */
  onSettle?: () => void;
}

/** Validates a timeout in seconds: `null`, or a finite number >= 0. */
export function checkTimeout(value: unknown, what = "timeout"): number | null {
  if (value === null) return null;
  if (typeof value !== "number") {
    throw new TypeError(`${what} must be a number of seconds or null, got ${typeof value}`);
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${what} must be a finite number of seconds >= 0 or null, got ${value}`);
  }
  return value;
}

/** Runs `attempt` under the socket's mode; see the module comment. */
export function perform<T>(
  target: Waitable,
  op: string,
  direction: Direction,
  attempt: Attempt<T>,
  options?: WaitOptions,
  hooks?: PerformHooks,
): Promise<T> {
  return performWith(target, op, direction, callAttempt<T>, attempt, options, hooks);
}

function callAttempt<T>(_target: Waitable, attempt: Attempt<T>): T | typeof NOT_READY {
  return attempt();
}

/**
 * `perform` for hot paths: `attempt(target, arg)` is a plain function, so a call that has to
 * wait allocates no closure. This is the policy; `perform` is a thin wrapper.
 */
export function performWith<W extends Waitable, A, T>(
  target: W,
  op: string,
  direction: Direction,
  attempt: AttemptWith<W, A, T>,
  arg: A,
  options?: WaitOptions,
  hooks?: PerformHooks,
): Promise<T> {
  try {
    if (target.closed) throw closedError(op, target);
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    const deadline = target.deadline(direction);
    if (deadline !== null && deadline <= now()) throw timeoutError(op, target);
    const timeout = options?.timeout === undefined ? target.timeout : checkTimeout(options.timeout);
    const result = attempt(target, arg);
    if (result !== NOT_READY) return Promise.resolve(result);
    if (timeout === 0) {
      throw new BlockingIOError(hooks?.notReadyCode ?? "EAGAIN", {
        op,
        address: target.describe(),
      });
    }
    const timeoutAt = timeout === null ? null : now() + timeout * 1000;
    const promise = new Promise<T>(capture);
    const resolve = captured as (value: T | Promise<never>) => void;
    new PendingCall(target, op, direction, attempt, arg, timeoutAt, signal, hooks, resolve);
    return promise;
  } catch (error) {
    hooks?.onError?.(error);
    return Promise.reject(error);
  }
}

/** Where {@link capture} leaves a new promise's resolve function. */
let captured: (value: never) => void = () => {};

/** The one executor of every waiting call's promise (so none allocates a closure). */
function capture(resolve: (value: never) => void): void {
  captured = resolve;
}

/**
 * A call waiting for its direction to change: one object (no closures on the common path), in
 * the socket's waiter list, in the timer heap if it has a timeout or deadline, and listening to
 * its abort signal if it has one. It keeps only its promise's resolve function (idle
 * connections hold one of these each); a rejection resolves with a rejected promise.
 */
class PendingCall<W extends Waitable, A, T> implements Waiter, Expiry {
  /**
   * Expiry fields: the call is its own timer-heap entry. `at` is set only when the call has an
   * expiry: a call without one keeps a small integer here, so V8 does not box a double for it.
   */
  at = 0;
  index = -1;
  /** Settles the call's promise; null once settled. */
  #resolve: ((value: T | Promise<never>) => void) | null;

  constructor(
    readonly target: W,
    readonly op: string,
    readonly direction: Direction,
    readonly attempt: AttemptWith<W, A, T>,
    readonly arg: A,
    /** When the call's own timeout ends (monotonic ms); null, not Infinity, when it has none,
     * for the same reason as `at`. */
    readonly timeoutAt: number | null,
    readonly signal: AbortSignal | undefined,
    readonly hooks: PerformHooks | undefined,
    resolve: (value: T | Promise<never>) => void,
  ) {
    this.#resolve = resolve;
    target.addWaiter(direction, this);
    const at = this.#expiresAt();
    if (at !== Number.POSITIVE_INFINITY) {
      this.at = at;
      insert(this);
    }
    signal?.addEventListener("abort", this, { once: true });
  }

  retry(): void {
    const resolve = this.#resolve;
    if (resolve === null) return;
    if (this.target.closed) {
      this.#fail(closedError(this.op, this.target), false);
      return;
    }
    let result: T | typeof NOT_READY;
    try {
      result = this.attempt(this.target, this.arg);
    } catch (error) {
      this.#fail(error, false);
      return;
    }
    if (result === NOT_READY) return;
    this.#settle();
    resolve(result);
  }

  deadlineMoved(): void {
    if (this.#resolve === null) return;
    const at = this.#expiresAt();
    if (at <= now()) {
      this.#expire();
      return;
    }
    if (at === Number.POSITIVE_INFINITY) {
      if (this.index >= 0) cancel(this);
    } else if (this.index >= 0) {
      reschedule(this, at);
    } else {
      this.at = at;
      insert(this);
    }
  }

  /** The socket's I/O keeps the process alive while a call waits (see clock.ts). */
  get keepAlive(): boolean {
    return false;
  }

  /** Called by the timer heap when the timeout or deadline is reached. */
  fire(): void {
    this.#expire();
  }

  /** The abort signal's listener (an EventListener object, so no closure is needed). */
  handleEvent(): void {
    this.#fail(this.signal?.reason, true);
  }

  #expiresAt(): number {
    const deadline = this.target.deadline(this.direction);
    const timeoutAt = this.timeoutAt ?? Number.POSITIVE_INFINITY;
    return deadline === null ? timeoutAt : Math.min(timeoutAt, deadline);
  }

  #expire(): void {
    this.#fail(timeoutError(this.op, this.target), true);
  }

  #settle(): void {
    this.#resolve = null;
    this.target.removeWaiter(this.direction, this);
    if (this.index >= 0) cancel(this);
    this.signal?.removeEventListener("abort", this);
    this.hooks?.onSettle?.();
  }

  #fail(error: unknown, givingUp: boolean): void {
    const resolve = this.#resolve;
    if (resolve === null) return;
    this.#settle();
    if (givingUp) this.hooks?.onGiveUp?.(error);
    this.hooks?.onError?.(error);
    resolve(Promise.reject(error));
  }
}

/**
 * The waiters of one direction, oldest first: none, one, or an array of several. Most sockets
 * have at most one call waiting per direction, and an idle connection holds one, so the single
 * waiter is kept without an array.
 */
export type Waiters = Waiter | Waiter[] | undefined;

/** `list` with `waiter` appended. */
export function withWaiter(list: Waiters, waiter: Waiter): Waiters {
  if (list === undefined) return waiter;
  if (Array.isArray(list)) {
    list.push(waiter);
    return list;
  }
  return [list, waiter];
}

/** `list` without `waiter`. */
export function withoutWaiter(list: Waiters, waiter: Waiter): Waiters {
  if (list === waiter) return undefined;
  if (!Array.isArray(list)) return list;
  const i = list.lastIndexOf(waiter);
  if (i >= 0) list.splice(i, 1);
  return list.length === 0 ? undefined : list;
}

/** A copy of the waiters, oldest first (to iterate while they come and go). */
export function waitersOf(list: Waiters): Waiter[] {
  if (list === undefined) return [];
  return Array.isArray(list) ? [...list] : [list];
}

/** Wakes every waiter of a direction so each tries again, oldest first. */
export function wake(list: Waiters): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    list.retry();
    return;
  }
  for (const waiter of [...list]) waiter.retry();
}

/** The error every call on a closed socket rejects with. */
export function closedError(op: string, target?: Waitable): SocketError {
  return new SocketError("EBADF", { op, address: target?.describe() });
}

function timeoutError(op: string, target: Waitable): TimeoutError {
  return new TimeoutError({ op, address: target.describe() });
}
