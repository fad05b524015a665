/**
 * The one place that decides what "not ready" means (CPython's `sock_call_ex`), on the state a
 * socket's poll descriptor keeps (poll-desc.ts: its mode, deadlines and waiting calls).
 *
 * Every waiting call is an {@link Operation} (operation.ts): argument checks, a direction, and an `attempt` that
 * tries once without waiting and either returns a result, throws, or returns {@link NOT_READY}
 * having consumed nothing. A call runs the checks in this order: a closed socket is `EBADF`, an
 * aborted signal rejects with its reason, a passed deadline is `TimeoutError` (even when data is
 * ready, Go's rule); then it tries once, and only if the attempt is not ready does the mode
 * decide:
 *
 * - timeout `0` (non-blocking): fail at once with `BlockingIOError`;
 * - `null` (blocking): wait for the socket to signal a change in that direction and try again;
 * - `s > 0`: the same, but give up with `TimeoutError` at the earliest of the call's timeout, the
 *   direction's deadline and the abort signal.
 *
 * An operation may have a quick path, tried before all of this (see `Operation.quick`): the
 * plain, common case of the call that can skip the checks and the mode because its answer
 * comes at once (or, on a blocking descriptor, from the kernel's own wait).
 *
 * Because an attempt consumes nothing unless it succeeds, a timeout, an abort or a non-blocking
 * miss loses no data. The timeout bounds the whole call, so a call that needs several waits
 * (sendAll, recvExactly, recvUntil) is bounded as a whole, and a call that needs one wait (recv,
 * send, accept) gets the whole timeout, as in Python.
 */

import { cancel, type Expiry, hold, insert, now, release, reschedule } from "../core/clock.js";
import { wouldBlock } from "../core/errors.js";
import {
  callTimeout,
  checkWaitOptions,
  closedError,
  NOT_READY,
  type Operation,
  startChecks,
  timeoutError,
} from "./operation.js";
import type { Direction, PollDesc, Waiter } from "./poll-desc.js";

// The poll descriptor's names, for the callers of the policy.
export {
  type Deadline,
  type Direction,
  getDefaultTimeout,
  PollDesc,
  setDefaultTimeout,
  type Waiter,
} from "./poll-desc.js";

/**
 * The start of every call, in either flavour: the checks in order, then one try. Returns the
 * result, or NOT_READY when the call must wait; a non-blocking miss throws `BlockingIOError`.
 * `timeout` is the call's effective timeout (see {@link callTimeout}).
 */
export function tryOnce<T extends PollDesc, P, R>(
  target: T,
  op: Operation<T, never, P, R>,
  arg: P,
  timeout: number | null,
  signal: AbortSignal | undefined,
): R | typeof NOT_READY {
  startChecks(target, op, signal);
  return attemptOnce(target, op, arg, timeout);
}

/** One try once the start checks passed: the result, NOT_READY, or a non-blocking miss. */
function attemptOnce<T extends PollDesc, P, R>(
  target: T,
  op: Operation<T, never, P, R>,
  arg: P,
  timeout: number | null,
): R | typeof NOT_READY {
  const result = op.attempt(target, arg);
  if (result !== NOT_READY || timeout !== 0) return result;
  throw missError(target, op, arg);
}

/** The error of a non-blocking miss: the call's own (see missedWith), else `BlockingIOError`. */
function missError<T extends PollDesc, P>(
  target: T,
  op: Operation<T, never, P, unknown>,
  arg: P,
): Error {
  const own = op.missedWith?.(target, arg);
  if (own !== undefined) return own;
  return wouldBlock(op.notReadyCode?.(arg) ?? "EAGAIN", {
    op: op.name,
    address: target.describe(),
  });
}

/**
 * Runs `op` with `args` under the socket's mode and returns a promise of its result; see the
 * module comment. Errors of any kind, argument checks included, reject the promise.
 */
export function run<T extends PollDesc, Args extends unknown[], P, R>(
  target: T,
  op: Operation<T, Args, P, R>,
  ...args: Args
): Promise<R> {
  let arg: P | undefined;
  let prepared = false;
  try {
    if (op.quick !== undefined) {
      const done = op.quick(target, args);
      if (done === undefined) return DONE as Promise<R>;
      if (done !== NOT_READY) return Promise.resolve(done);
    }
    arg = op.prepare(target, ...args);
    prepared = true;
    const options = checkWaitOptions(op.options(...args), op.name);
    const timeout = callTimeout(target, op as Operation<T, never, P, R>, options);
    const signal = options?.signal;
    startChecks(target, op as Operation<T, never, P, R>, signal);
    const result = op.attempt(target, arg);
    if (result !== NOT_READY) return Promise.resolve(result);
    if (timeout === 0) {
      // A miss is returned, not thrown: V8 walks the stack for every throw.
      const error = missError(target, op as Operation<T, never, P, R>, arg);
      op.failed?.(error, arg);
      return rejectSoon(error);
    }
    return waitFor(target, op as Operation<T, never, P, R>, arg, timeout, signal);
  } catch (error) {
    if (prepared) op.failed?.(error, arg as P);
    return rejectSoon(error);
  }
}

/**
 * The waiting half of {@link run}, for a call whose first try found it not ready (run's own, or
 * {@link tryOnce}'s): the promise of the call, tried again as its direction changes, until the
 * timeout (seconds, `null` for none), the deadline or the signal ends it. `timeout` must not be
 * 0: a non-blocking miss does not wait.
 */
export function waitFor<T extends PollDesc, P, R>(
  target: T,
  op: Operation<T, never, P, R>,
  arg: P,
  timeout: number | null,
  signal: AbortSignal | undefined,
): Promise<R> {
  const timeoutAt = timeout === null ? null : now() + timeout * 1000;
  const promise = new Promise<R>(capture);
  const resolve = captured as (value: R | Promise<never>) => void;
  new PendingCall(target, op, arg, timeoutAt, signal, resolve);
  return promise;
}

/**
 * A promise that rejects with `error` once the current job is over: by then the caller's `await`
 * (or `catch`) is attached, so Node.js's unhandled-rejection tracking, which a promise rejected
 * before anyone handles it goes through twice (about 1 µs, half a non-blocking miss), is not
 * involved. A promise nobody handles is still reported as unhandled.
 */
function rejectSoon(error: unknown): Promise<never> {
  const promise = new Promise<never>(captureReject);
  // A resolved promise's reaction, not queueMicrotask, which wraps each callback for async_hooks.
  if (rejections.length === 0) void DONE.then(rejectAll);
  rejections.push(capturedReject, error);
  return promise;
}

/** Pairs of a reject function and its reason, for {@link rejectAll}. */
let rejections: unknown[] = [];

function rejectAll(): void {
  const batch = rejections;
  rejections = [];
  for (let i = 0; i < batch.length; i += 2) {
    (batch[i] as (reason: unknown) => void)(batch[i + 1]);
  }
}

/** Where {@link captureReject} leaves a new promise's reject function. */
let capturedReject: (reason: unknown) => void = () => {};

function captureReject(_resolve: unknown, reject: (reason: unknown) => void): void {
  capturedReject = reject;
}

/** The promise of a call that `quick` finished with no value. */
const DONE: Promise<undefined> = Promise.resolve(undefined);

/** What the synchronous flavour's targets add to PollDesc: waiting on the calling thread. */
export interface BlockingTarget extends PollDesc {
  /**
   * Starts a call: `mayBlock` says whether it may wait in the kernel (a blocking call without a
   * deadline); when not, its tries must not block.
   */
  beginCall(mayBlock: boolean): void;
  /** Sleeps until `direction` may have become ready, or until `until` (monotonic ms). */
  waitReady(direction: Direction, until: number): void;
}

/**
 * Runs `op` with `args` under the socket's mode and blocks the calling thread until it is done:
 * the same checks, try and mode decision as {@link run}, then a loop of waits and tries on this
 * thread. A call that would wait for ever with no deadline waits in the kernel instead, as a
 * blocking Python socket does.
 */
export function runSync<T extends BlockingTarget, Args extends unknown[], P, R>(
  target: T,
  op: Operation<T, Args, P, R>,
  args: Args,
): R {
  if (op.quick !== undefined) {
    const done = op.quick(target, args);
    if (done !== NOT_READY) return done;
  }
  const arg = op.prepare(target, ...args);
  const call = op as Operation<T, never, P, R>;
  let waited = false;
  try {
    const options = checkWaitOptions(op.options(...args), op.name);
    const timeout = callTimeout(target, call, options);
    startChecks(target, call, options?.signal);
    target.beginCall(timeout === null && target.deadline(op.direction) === null);
    let result = attemptOnce(target, call, arg, timeout);
    if (result !== NOT_READY) return result;
    waited = true;
    const timeoutAt = timeout === null ? null : now() + timeout * 1000;
    for (;;) {
      const until = expiresAt(target, op.direction, timeoutAt);
      if (until <= now()) {
        op.gaveUp?.(target, arg);
        throw timeoutError(op.name, target);
      }
      target.waitReady(op.direction, until);
      if (target.closed) throw closedError(op.name, target);
      result = op.attempt(target, arg);
      if (result !== NOT_READY) return result;
    }
  } catch (error) {
    op.failed?.(error, arg);
    throw error;
  } finally {
    if (waited) op.settled?.(arg);
  }
}

/** Where {@link capture} leaves a new promise's resolve function. */
let captured: (value: never) => void = () => {};

/** The one executor of every waiting call's promise (so none allocates a closure). */
function capture(resolve: (value: never) => void): void {
  captured = resolve;
}

/**
 * A call waiting for its direction to change: one object (no closures), in the socket's waiter
 * list, in the timer heap if it has a timeout or deadline, and listening to its abort signal if
 * it has one. It keeps only its promise's resolve function (idle connections hold one of these
 * each); a rejection resolves with a rejected promise.
 */
class PendingCall<T extends PollDesc, P, R> implements Waiter, Expiry {
  /**
   * Expiry fields: the call is its own timer-heap entry. `at` is set only when the call has an
   * expiry: a call without one keeps a small integer here, so V8 does not box a double for it.
   */
  at = 0;
  index = -1;
  /** Settles the call's promise; null once settled. */
  #resolve: ((value: R | Promise<never>) => void) | null;

  constructor(
    readonly target: T,
    readonly op: Operation<T, never, P, R>,
    readonly arg: P,
    /** When the call's own timeout ends (monotonic ms); null, not Infinity, when it has none,
     * for the same reason as `at`. */
    readonly timeoutAt: number | null,
    readonly signal: AbortSignal | undefined,
    resolve: (value: R | Promise<never>) => void,
  ) {
    this.#resolve = resolve;
    hold();
    target.addWaiter(op.direction, this);
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
      this.#fail(closedError(this.op.name, this.target), false);
      return;
    }
    let result: R | typeof NOT_READY;
    try {
      result = this.op.attempt(this.target, this.arg);
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

  /** The call holds the process alive while it waits (clock.ts `hold`), not its timer. */
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
    return expiresAt(this.target, this.op.direction, this.timeoutAt);
  }

  #expire(): void {
    this.#fail(timeoutError(this.op.name, this.target), true);
  }

  #settle(): void {
    this.#resolve = null;
    release();
    this.target.removeWaiter(this.op.direction, this);
    if (this.index >= 0) cancel(this);
    this.signal?.removeEventListener("abort", this);
    this.op.settled?.(this.arg);
  }

  #fail(error: unknown, givingUp: boolean): void {
    const resolve = this.#resolve;
    if (resolve === null) return;
    this.#settle();
    if (givingUp) this.op.gaveUp?.(this.target, this.arg);
    this.op.failed?.(error, this.arg);
    resolve(Promise.reject(error));
  }
}

/** When a waiting call gives up: the earlier of its own timeout and the direction's deadline. */
export function expiresAt(
  target: PollDesc,
  direction: Direction,
  timeoutAt: number | null,
): number {
  const deadline = target.deadline(direction);
  const own = timeoutAt ?? Number.POSITIVE_INFINITY;
  return deadline === null ? own : Math.min(own, deadline);
}
