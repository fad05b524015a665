/**
 * What one waiting call of a socket is to the mode policy (policy.ts): an {@link Operation}, its
 * per-call options, and the checks every call starts with, in their order (closed, aborted,
 * passed deadline), with the errors they raise. The operations tables (operations.ts,
 * datagram-operations.ts) and the stream adapters are made of operations; the policy runs them.
 *
 * @module
 */

import { checkOptions, checkSignal, checkTimeout } from "../core/checks.js";
import { now } from "../core/clock.js";
import { SocketError, TimeoutError } from "../core/errors.js";
import type { Direction, PollDesc } from "./poll-desc.js";

/** Returned by an attempt that is not ready and consumed nothing. */
export const NOT_READY: unique symbol = Symbol("not ready");

/** The per-call options every waiting call takes as its last argument. */
export interface WaitOptions {
  /** Seconds for this call (`null` blocks, `0` does not wait); overrides the socket's timeout. */
  timeout?: number | null | undefined;
  /** Aborting rejects the call with the signal's reason; nothing is consumed. */
  signal?: AbortSignal | undefined;
}

/**
 * One operation of a socket: what the operations table (operations.ts) holds for each waiting
 * call. `T` is what the attempt works on, `Args` the call's arguments, `P` what `prepare` makes
 * of them for the attempt, `R` the result.
 */
export interface Operation<T extends PollDesc, Args extends unknown[], P, R> {
  /** The call's name, as errors report it (`op`). */
  readonly name: string;
  /** Which deadline applies and which readiness changes wake the call. */
  readonly direction: Direction;
  /** Waits whatever the mode (listen, bind: the answer comes at once, never a would-block). */
  readonly ignoresMode?: boolean;
  /**
   * The call's common case, tried before anything else: its result when the plain call (no
   * flags or options, on an open socket with no deadline) needs none of the policy, because it
   * is done at once (a small `sendAll` copied into the send buffer, a `recv` or `recvInto` of
   * bytes already here) or may wait in the kernel (see `ByteStream.receivesNow`). Otherwise
   * NOT_READY, having consumed nothing, and the call runs the general way. Its errors are the
   * call's.
   */
  quick?(target: T, args: Args): R | typeof NOT_READY;
  /** Checks the arguments (TypeError, RangeError) and returns what the attempt needs. */
  prepare(target: T, ...args: Args): P;
  /** The per-call options among the arguments. */
  options(...args: Args): unknown;
  /** One try: a result, a throw, or NOT_READY having consumed nothing. */
  attempt(target: T, arg: P): R | typeof NOT_READY;
  /** The `code` of a non-blocking miss (default `"EAGAIN"`). */
  notReadyCode?(arg: P): string;
  /**
   * For a non-blocking miss: an error to raise instead of `BlockingIOError`, if the call has one
   * (`accept` with no descriptor left: EMFILE or ENFILE).
   */
  missedWith?(target: T, arg: P): Error | undefined;
  /** Called with every error the call fails with, before it is raised. */
  failed?(error: unknown, arg: P): void;
  /** Called once when a call that waited gives up (timeout, deadline, abort), before it fails. */
  gaveUp?(target: T, arg: P): void;
  /** Called once when a call that had to wait settles, either way. */
  settled?(arg: P): void;
}

/** The checks at the start of a call, in this order: closed, aborted, passed deadline. */
export function startChecks<T extends PollDesc>(
  target: T,
  op: Operation<T, never, unknown, unknown>,
  signal: AbortSignal | undefined,
): void {
  if (target.closed) throw closedError(op.name, target);
  if (signal?.aborted) throw signal.reason;
  const deadline = target.deadline(op.direction);
  if (deadline !== null && deadline <= now()) throw timeoutError(op.name, target);
}

/** The call's timeout in seconds: its own `timeout` option, else the socket's. */
export function callTimeout<T extends PollDesc>(
  target: T,
  op: Operation<T, never, unknown, unknown>,
  options: WaitOptions | undefined,
): number | null {
  if (op.ignoresMode === true) return null;
  if (options === undefined || options.timeout === undefined) return target.timeout;
  return checkTimeout(options.timeout, `${op.name}(): options.timeout`);
}

/** Checks a call's options object and its signal, before anything is registered. */
export function checkWaitOptions(value: unknown, op: string): WaitOptions | undefined {
  const options = checkOptions<WaitOptions>(value, `${op}(): options`);
  if (options !== undefined) checkSignal(options.signal, `${op}(): options.signal`);
  return options;
}

/** The error every call on a closed socket fails with. */
export function closedError(op: string, target?: PollDesc): SocketError {
  return new SocketError("EBADF", { op, address: target?.describe() });
}

/** The error of a call whose timeout or deadline passed. */
export function timeoutError(op: string, target: PollDesc): TimeoutError {
  return new TimeoutError({ op, address: target.describe() });
}
