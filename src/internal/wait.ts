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

import { BlockingIOError, SocketError, TimeoutError } from "../errors.js";
import { cancel, type Expiry, now, reschedule, schedule } from "./clock.js";

/** Returned by an attempt that is not ready and consumed nothing. */
export const NOT_READY: unique symbol = Symbol("not ready");

/** One try of an operation. */
export type Attempt<T> = () => T | typeof NOT_READY;

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
  /** The waiters of a direction, in arrival order. */
  waiters(direction: Direction): Waiter[];
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
  try {
    if (target.closed) throw closedError(op, target);
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    const deadline = target.deadline(direction);
    const start = now();
    if (deadline !== null && deadline <= start) throw timeoutError(op, target);
    const timeout = options?.timeout === undefined ? target.timeout : checkTimeout(options.timeout);
    const result = attempt();
    if (result !== NOT_READY) return Promise.resolve(result);
    if (timeout === 0) {
      throw new BlockingIOError(hooks?.notReadyCode ?? "EAGAIN", {
        op,
        address: target.describe(),
      });
    }
    const timeoutAt = timeout === null ? Number.POSITIVE_INFINITY : start + timeout * 1000;
    return wait(target, op, direction, attempt, timeoutAt, signal, hooks);
  } catch (error) {
    hooks?.onError?.(error);
    return Promise.reject(error);
  }
}

function wait<T>(
  target: Waitable,
  op: string,
  direction: Direction,
  attempt: Attempt<T>,
  timeoutAt: number,
  signal: AbortSignal | undefined,
  hooks: PerformHooks | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const list = target.waiters(direction);
    let expiry: Expiry | undefined;
    let settled = false;

    const settle = (): void => {
      settled = true;
      const i = list.indexOf(waiter);
      if (i >= 0) list.splice(i, 1);
      if (expiry !== undefined) cancel(expiry);
      signal?.removeEventListener("abort", onAbort);
      hooks?.onSettle?.();
    };
    const fail = (error: unknown, givingUp: boolean): void => {
      if (settled) return;
      settle();
      if (givingUp) hooks?.onGiveUp?.(error);
      hooks?.onError?.(error);
      reject(error);
    };
    const onAbort = (): void => fail(signal?.reason, true);
    const expiresAt = (): number => Math.min(timeoutAt, target.deadline(direction) ?? Infinity);
    const onExpire = (): void => fail(timeoutError(op, target), true);

    const waiter: Waiter = {
      retry() {
        if (settled) return;
        if (target.closed) return fail(closedError(op, target), false);
        let result: T | typeof NOT_READY;
        try {
          result = attempt();
        } catch (error) {
          return fail(error, false);
        }
        if (result === NOT_READY) return;
        settle();
        resolve(result);
      },
      deadlineMoved() {
        if (settled) return;
        const at = expiresAt();
        if (at <= now()) return onExpire();
        if (expiry === undefined) {
          if (at !== Number.POSITIVE_INFINITY) expiry = schedule(at, onExpire);
        } else if (at === Number.POSITIVE_INFINITY) {
          cancel(expiry);
          expiry = undefined;
        } else {
          reschedule(expiry, at);
        }
      },
    };

    list.push(waiter);
    const at = expiresAt();
    if (at !== Number.POSITIVE_INFINITY) expiry = schedule(at, onExpire);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Wakes every waiter of a direction so each tries again, oldest first. */
export function wake(list: Waiter[]): void {
  if (list.length === 0) return;
  if (list.length === 1) {
    list[0]!.retry();
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
