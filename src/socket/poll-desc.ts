/**
 * A socket's waiting state (Go's poll descriptor): its mode, a deadline per direction and the
 * calls waiting in each direction. The wait policy (policy.ts) decides on it; a waiting call
 * registers here and is woken when its direction changes.
 *
 * @module
 */

import { checkTimeout, describe } from "../core/checks.js";
import { wallToMonotonic } from "../core/clock.js";

/** Which way an operation goes; deadlines and wake-ups are per direction. */
export type Direction = "read" | "write";

/** A deadline: a `Date`, epoch milliseconds, or `null` for none. */
export type Deadline = Date | number | null;

let defaultTimeout: number | null = null;

/** The timeout in seconds new sockets start with (`null`: blocking). */
export function getDefaultTimeout(): number | null {
  return defaultTimeout;
}

/** Sets the timeout in seconds new sockets start with; `null` means blocking. */
export function setDefaultTimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout, "setDefaultTimeout(): timeout");
}

/** A call waiting for its direction to change. */
export interface Waiter {
  /** Called when something changed in the waiter's direction: try again. */
  retry(): void;
  /** Called when the direction's deadline moved. */
  deadlineMoved(): void;
}

/**
 * A socket's waiting state (Go's `pollDesc`): its timeout, whether it is closed, a deadline per
 * direction and the calls waiting in each direction. Deadlines and waiter lists are made on
 * first use: a server holds thousands of these, most never waiting twice.
 */
export class PollDesc {
  /** Seconds: `null` blocking, `0` non-blocking, `s > 0` a timeout. */
  timeout: number | null = defaultTimeout;
  closed = false;
  /** Monotonic ms per direction; made by the first deadline set (most sockets have none). */
  #deadlines: { read: number | null; write: number | null } | undefined;
  #readWaiters: Waiters;
  #writeWaiters: Waiters;

  /** The address to name in error messages (subclasses know it). */
  describe(): string | undefined {
    return undefined;
  }

  /** The direction's deadline in monotonic ms, or `null`. */
  deadline(direction: Direction): number | null {
    const deadlines = this.#deadlines;
    return deadlines === undefined ? null : deadlines[direction];
  }

  /** Sets the timeout in seconds: `null` blocks, `0` is non-blocking, `s > 0` waits up to `s`. */
  setTimeout(timeout: unknown): void {
    this.timeout = checkTimeout(timeout, "setTimeout(): timeout");
  }

  getTimeout(): number | null {
    return this.timeout;
  }

  /** `true` is `setTimeout(null)`, `false` is `setTimeout(0)`; 0 and 1 as Python takes them. */
  setBlocking(flag: unknown): void {
    if (typeof flag !== "boolean" && flag !== 0 && flag !== 1) {
      throw new TypeError(`setBlocking(): flag must be a boolean (or 0/1), got ${describe(flag)}`);
    }
    this.timeout = flag ? null : 0;
  }

  getBlocking(): boolean {
    return this.timeout !== 0;
  }

  setDeadline(at: unknown): void {
    this.setDirectionDeadline("read", at, "setDeadline()");
    this.setDirectionDeadline("write", at, "setDeadline()");
  }

  setReadDeadline(at: unknown): void {
    this.setDirectionDeadline("read", at, "setReadDeadline()");
  }

  setWriteDeadline(at: unknown): void {
    this.setDirectionDeadline("write", at, "setWriteDeadline()");
  }

  /** Sets a direction's deadline (a `Date`, epoch ms or `null`); calls waiting see it at once. */
  setDirectionDeadline(direction: Direction, at: unknown, where: string): void {
    let epoch: number | null;
    if (at === null) epoch = null;
    else if (at instanceof Date) epoch = at.getTime();
    else if (typeof at === "number") epoch = at;
    else {
      throw new TypeError(
        `${where}: deadline must be a Date, epoch milliseconds or null, got ${describe(at)}`,
      );
    }
    if (epoch !== null && !Number.isFinite(epoch)) {
      throw new RangeError(`${where}: deadline must be a valid time, got ${describe(at)}`);
    }
    this.#deadlines ??= { read: null, write: null };
    this.#deadlines[direction] = epoch === null ? null : wallToMonotonic(epoch);
    const list = direction === "read" ? this.#readWaiters : this.#writeWaiters;
    for (const waiter of waitersOf(list)) waiter.deadlineMoved();
  }

  addWaiter(direction: Direction, waiter: Waiter): void {
    if (direction === "read") this.#readWaiters = withWaiter(this.#readWaiters, waiter);
    else this.#writeWaiters = withWaiter(this.#writeWaiters, waiter);
  }

  /** Removes a waiter (harmless if it is not there). */
  removeWaiter(direction: Direction, waiter: Waiter): void {
    if (direction === "read") this.#readWaiters = withoutWaiter(this.#readWaiters, waiter);
    else this.#writeWaiters = withoutWaiter(this.#writeWaiters, waiter);
  }

  /** Wakes every call waiting in `direction` so each tries again, oldest first. */
  wake(direction: Direction): void {
    wake(direction === "read" ? this.#readWaiters : this.#writeWaiters);
  }

  /** True while some call waits in either direction. */
  get waiting(): boolean {
    return this.#readWaiters !== undefined || this.#writeWaiters !== undefined;
  }
}

/**
 * The waiters of one direction, oldest first: none, one, or an array of several. Most sockets
 * have at most one call waiting per direction, and an idle connection holds one, so the single
 * waiter is kept without an array.
 */
type Waiters = Waiter | Waiter[] | undefined;

function withWaiter(list: Waiters, waiter: Waiter): Waiters {
  if (list === undefined) return waiter;
  if (Array.isArray(list)) {
    list.push(waiter);
    return list;
  }
  return [list, waiter];
}

function withoutWaiter(list: Waiters, waiter: Waiter): Waiters {
  if (list === waiter) return undefined;
  if (!Array.isArray(list)) return list;
  const i = list.lastIndexOf(waiter);
  if (i >= 0) list.splice(i, 1);
  return list.length === 0 ? undefined : list;
}

/** A copy of the waiters, oldest first (to iterate while they come and go). */
function waitersOf(list: Waiters): Waiter[] {
  if (list === undefined) return [];
  return Array.isArray(list) ? [...list] : [list];
}

function wake(list: Waiters): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    list.retry();
    return;
  }
  for (const waiter of [...list]) waiter.retry();
}
