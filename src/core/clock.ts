/**
 * Time, through one seam: every timeout and deadline in sockit reads the clock and arms timers
 * here, so tests can drive time by hand (`setClock`) instead of sleeping.
 *
 * The scheduler keeps every pending expiry in one binary heap behind ONE runtime timer. A call
 * that waits adds an entry and removes it when it finishes; the runtime timer is only re-armed
 * when a new entry expires before the armed one, so a hot loop of calls that all carry the same
 * timeout creates no timer per call. The timer keeps the process alive only while an entry asks
 * for it (`keepAlive`). A socket call that waits does not ask: it holds the process (see
 * {@link hold}) for as long as it waits, timeout or not. When the heap is empty the timer is
 * left armed, unref'd.
 *
 * What keeps a process alive, as in Python: sockets and listeners do not (they are unref'd),
 * so a script that ends with a socket left open exits; a call that waits does, through one
 * global hold; and data accepted for sending does by itself (libuv's write, shutdown and
 * connect requests keep the event loop alive until the kernel has the bytes; on Bun the stream's
 * socket is ref'd while it has bytes queued, socket/stream.ts; Deno may lose them).
 */

/** The clock and timer primitives sockit uses; swap them in tests with {@link setClock}. */
export interface Clock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  /** Wall-clock epoch milliseconds, for deadlines given as a `Date` or epoch number. */
  wallNow(): number;
  /** Arms a one-shot timer; `ms` is at most {@link MAX_TIMER_MS}. */
  setTimer(callback: () => void, ms: number): TimerHandle;
  /** Disarms a timer from {@link setTimer}. */
  clearTimer(handle: TimerHandle): void;
}

/** What {@link Clock.setTimer} returns. */
export interface TimerHandle {
  ref?(): unknown;
  unref?(): unknown;
}

/** Node's timers overflow past 2^31 − 1 ms (about 24.8 days); longer waits are re-armed. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A pending expiry. `at` is monotonic ms; `index` is its heap slot (−1 when not in the heap);
 * `keepAlive` says whether it must keep the process alive until it fires.
 */
export interface Expiry {
  at: number;
  index: number;
  readonly keepAlive: boolean;
  fire(): void;
}

let clock: Clock = systemClock;
const heap: Expiry[] = [];
let timer: TimerHandle | undefined;
let armedAt = Number.POSITIVE_INFINITY;
/** Entries in the heap with `keepAlive`, and whether the timer is ref'd for them. */
let keptAlive = 0;
let refed = false;

/**
 * Calls waiting anywhere in the process (socket calls, `select`). While there is one, a single
 * ref'd runtime timer keeps the process alive, as a blocked call does in Python; at none, the
 * process may end. A real timer whatever the clock: keeping alive is not about time. One hold
 * for every call rather than a ref per socket: a `select` waits on many sockets, and a server's
 * calls come and go without ever letting the count reach 0, so the hot path costs nothing.
 */
let holds = 0;
let holdTimer: ReturnType<typeof setInterval> | undefined;

function idle(): void {}

/** A call starts waiting: the process stays alive until the matching {@link release}. */
export function hold(): void {
  if (holds++ === 0) {
    holdTimer ??= setInterval(idle, MAX_TIMER_MS);
    holdTimer.ref();
  }
}

/** A call stopped waiting. */
export function release(): void {
  if (--holds === 0) holdTimer?.unref();
}

/** How many calls hold the process alive now (tests). */
export function heldCalls(): number {
  return holds;
}

/** Replaces the clock (tests only); `undefined` restores the system clock. */
export function setClock(next: Clock | undefined): void {
  disarm();
  clock = next ?? systemClock;
  arm();
}

/** Monotonic milliseconds now. */
export function now(): number {
  return clock.now();
}

/** Converts an absolute wall-clock time (epoch ms) to the monotonic timeline. */
export function wallToMonotonic(epochMs: number): number {
  return epochMs - clock.wallNow() + clock.now();
}

/**
 * Calls `fire` once the monotonic clock reaches `at` (never earlier); returns a handle for
 * {@link cancel}. By default the wait keeps the process alive.
 */
export function schedule(at: number, fire: () => void, keepAlive = true): Expiry {
  const entry: Expiry = { at, index: -1, keepAlive, fire };
  insert(entry);
  return entry;
}

/**
 * Settles as `promise` does, unless the monotonic clock reaches `deadline` first (then as
 * `expired()` does) or `signal` aborts (then it rejects with the signal's reason). This is the
 * one "wait with a timeout or an abort" of selectors and `createConnection`; socket calls wait
 * by the same rule in the wait policy, specialised there so that a waiting call is its own
 * timer entry and abort listener and allocates nothing else.
 */
export function race<T>(
  promise: Promise<T>,
  deadline: number,
  signal: AbortSignal | undefined,
  expired: () => T | Promise<T>,
): Promise<T> {
  if (deadline === Number.POSITIVE_INFINITY && signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const finish = (settle: () => void): void => {
      if (entry !== undefined) cancel(entry);
      signal?.removeEventListener("abort", onAbort);
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal?.reason));
    const entry =
      deadline === Number.POSITIVE_INFINITY
        ? undefined
        : schedule(deadline, () => finish(() => resolve(expired())));
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

/** Adds an entry (an object that is its own heap entry, to avoid allocating one). */
export function insert(entry: Expiry): void {
  entry.index = heap.length;
  heap.push(entry);
  up(entry.index);
  if (entry.keepAlive) keptAlive++;
  if (entry.at < armedAt) arm();
  else updateRef();
}

/** Moves an entry to a new expiry time. */
export function reschedule(entry: Expiry, at: number): void {
  if (entry.index < 0) return;
  const earlier = at < entry.at;
  entry.at = at;
  if (earlier) up(entry.index);
  else down(entry.index);
  if (at < armedAt) arm();
}

/** Removes an entry; harmless if it already fired or was removed. */
export function cancel(entry: Expiry): void {
  const i = entry.index;
  if (i < 0) return;
  entry.index = -1;
  const last = heap.pop()!;
  if (last !== entry) {
    heap[i] = last;
    last.index = i;
    up(i);
    down(last.index);
  }
  if (entry.keepAlive && --keptAlive === 0) updateRef();
}

/** Refs the runtime timer while some entry must keep the process alive, unrefs it otherwise. */
function updateRef(): void {
  const want = keptAlive > 0;
  if (timer === undefined || want === refed) return;
  refed = want;
  if (want) timer.ref?.();
  else timer.unref?.();
}

/** How many expiries are pending (tests). */
export function pendingExpiries(): number {
  return heap.length;
}

function arm(): void {
  disarm();
  const first = heap[0];
  if (first === undefined) return;
  const delay = Math.min(Math.max(Math.ceil(first.at - clock.now()), 1), MAX_TIMER_MS);
  armedAt = clock.now() + delay;
  timer = clock.setTimer(onTimer, delay);
  refed = true;
  updateRef();
}

function disarm(): void {
  if (timer !== undefined) clock.clearTimer(timer);
  timer = undefined;
  armedAt = Number.POSITIVE_INFINITY;
}

function onTimer(): void {
  timer = undefined;
  armedAt = Number.POSITIVE_INFINITY;
  const t = clock.now();
  // Fire everything due; runtime timers may run a little early, so an entry not yet due waits.
  for (let first = heap[0]; first !== undefined && first.at <= t; first = heap[0]) {
    cancel(first);
    first.fire();
  }
  if (timer === undefined) arm();
}

function up(i: number): void {
  const entry = heap[i]!;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = heap[parent]!;
    if (p.at <= entry.at) break;
    heap[i] = p;
    p.index = i;
    i = parent;
  }
  heap[i] = entry;
  entry.index = i;
}

function down(i: number): void {
  const entry = heap[i]!;
  const n = heap.length;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) break;
    const right = left + 1;
    const child = right < n && heap[right]!.at < heap[left]!.at ? right : left;
    const c = heap[child]!;
    if (c.at >= entry.at) break;
    heap[i] = c;
    c.index = i;
    i = child;
  }
  heap[i] = entry;
  entry.index = i;
}
