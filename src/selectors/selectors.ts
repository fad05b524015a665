/**
 * Selectors: Python's `selectors.DefaultSelector` over sockit sockets.
 *
 * The backend contract (internal/observe.ts): a file object exposes `[READINESS]`, which says
 * whether a `recv`/`accept` or a `send` would wait *now* and calls back synchronously whenever
 * that may have changed. In mio's words, a key's `events` are what it asked for and `ready` is
 * what happened; `select` reports `events & ready`, never an event that was not asked for. The
 * engine that keeps `select` O(ready) is internal/selector-ready.ts.
 *
 * `select` yields to the event loop before it answers with keys that were already ready, and
 * a poll (`timeout <= 0`) waits until the loop has polled the OS once more, so pending I/O is
 * processed first: `select(0)` sees data that was already sent to the socket, and a loop of
 * `select(0)` sees data that arrives. A `select` that has to wait answers as soon as a key
 * becomes ready.
 *
 * @module
 */

import { checkOptions, checkSelectTimeout, checkSignal, describe } from "../core/checks.js";
import { hold, now, race, release } from "../core/clock.js";
import { EVENT_READ, EVENT_WRITE } from "../core/constants.js";
import { KeyError, SocketError } from "../core/errors.js";
import type { Socket } from "../socket/socket.js";
import { MapView } from "./map-view.js";
import { isSelectable, READINESS, type Selectable } from "./readiness.js";
import { ReadyQueue, type Watch } from "./ready-queue.js";

/**
 * What a selector knows about one registered file object: an immutable snapshot (`modify`
 * returns a new one). `fd` is `fileno()` at registration, `events` the mask that was asked for,
 * `data` whatever was attached (`undefined` when omitted, as Python's `None`).
 *
 * @example
 * ```ts
 * const key = sel.register(sock, EVENT_READ, "greeting");
 * key.events === EVENT_READ && key.data === "greeting";
 * ```
 */
export interface SelectorKey<F = Socket, D = unknown> {
  readonly fileobj: F;
  readonly fd: number;
  readonly events: number;
  readonly data: D;
}

/**
 * Options of {@link DefaultSelector.select}.
 *
 * @example
 * ```ts
 * const ready = await sel.select(null, { signal: AbortSignal.timeout(1000) });
 * ```
 */
export interface SelectOptions {
  /** Aborting rejects a waiting `select` with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** `data` may be omitted only when `undefined` is a valid `D`. */
type DataArgument<D> = undefined extends D ? [data?: D] : [data: D];

const ALL_EVENTS = EVENT_READ | EVENT_WRITE;

/**
 * Python's `selectors.DefaultSelector`: level-triggered I/O multiplexing over sockit sockets.
 * `F` is the type of the registered objects, `D` the type of the keys' `data`. Only `select`
 * is async.
 *
 * @example
 * ```ts
 * using sel = new DefaultSelector();
 * sel.register(server, EVENT_READ);
 * for (const [key, mask] of await sel.select()) {
 *   if (key.fileobj === server && mask & EVENT_READ) await server.accept();
 * }
 * ```
 */
export class DefaultSelector<F = Socket, D = unknown> {
  readonly #watches = new Map<F, Watch<SelectorKey<F, D>>>();
  readonly #keys = new Map<F, SelectorKey<F, D>>();
  readonly #view = new MapView(this.#keys);
  readonly #ready = new ReadyQueue<SelectorKey<F, D>>();
  #closed = false;

  /**
   * Starts watching `fileobj` for `events` (`EVENT_READ`, `EVENT_WRITE` or both) and returns
   * its key. Registering an object twice is a `KeyError`. It takes effect for a `select` that
   * is already waiting.
   *
   * @example
   * ```ts
   * sel.register(conn, EVENT_READ | EVENT_WRITE, { pending: [] });
   * ```
   */
  register(fileobj: F, events: number, ...data: DataArgument<D>): SelectorKey<F, D> {
    if (!isSelectable(fileobj)) {
      throw new TypeError(`register(): fileobj must be a sockit socket, got ${describe(fileobj)}`);
    }
    checkEvents(events, "register");
    this.#checkOpen("register");
    if ((fileobj as { closed?: unknown }).closed === true) {
      throw new SocketError("EBADF", { op: "register" }, "the socket is closed");
    }
    if (this.#watches.has(fileobj)) {
      throw new KeyError(`${name(fileobj)} is already registered`);
    }
    const readiness = (fileobj as Selectable)[READINESS];
    const key = makeKey(fileobj, readiness.fileno(), events, data[0] as D);
    this.#keys.set(fileobj, key);
    this.#watches.set(fileobj, this.#ready.watch(readiness, events, key));
    return key;
  }

  /**
   * Stops watching `fileobj` and returns its last key; a `KeyError` if it is not registered.
   * Unregistering a socket that was closed meanwhile works.
   *
   * @example
   * ```ts
   * sel.unregister(conn);
   * conn.close();
   * ```
   */
  unregister(fileobj: F): SelectorKey<F, D> {
    this.#checkOpen("unregister");
    const watch = this.#lookup(fileobj);
    this.#watches.delete(fileobj);
    this.#keys.delete(fileobj);
    this.#ready.unwatch(watch);
    return watch.key;
  }

  /**
   * Changes the events and data of a registered object and returns the new key (`data`
   * omitted means `undefined`, as in Python). It takes effect for a `select` that is waiting.
   *
   * @example
   * ```ts
   * sel.modify(conn, EVENT_READ); // done writing: only wait for the reply
   * ```
   */
  modify(fileobj: F, events: number, ...data: DataArgument<D>): SelectorKey<F, D> {
    checkEvents(events, "modify");
    this.#checkOpen("modify");
    const watch = this.#lookup(fileobj);
    const key = makeKey(fileobj, watch.key.fd, events, data[0] as D);
    this.#keys.set(fileobj, key);
    this.#ready.update(watch, events, key);
    return key;
  }

  /**
   * Waits until at least one registered object is ready and returns `[key, ready]` pairs,
   * `ready` being the part of `key.events` that is ready now. `timeout` in seconds: `null` or
   * omitted waits as long as it takes, `<= 0` only polls, `> 0` waits up to that long (never
   * less) and then resolves to `[]`.
   *
   * @example
   * ```ts
   * for (const [key, mask] of await sel.select(1.5)) {
   *   if (mask & EVENT_READ) console.log(await key.fileobj.recv(1024));
   * }
   * ```
   */
  async select(
    timeout?: number | null,
    options?: SelectOptions,
  ): Promise<[SelectorKey<F, D>, number][]> {
    const seconds = checkSelectTimeout(timeout, "select(): timeout");
    this.#checkOpen("select");
    const signal = checkSignal(
      checkOptions<SelectOptions>(options, "select(): options")?.signal,
      "select(): options.signal",
    );
    if (signal?.aborted) throw signal.reason;
    const deadline = seconds === null ? Number.POSITIVE_INFINITY : now() + seconds * 1000;
    if (seconds === 0 || this.#ready.prune()) {
      // Let pending I/O in before answering, then answer with what is ready. A poll waits for
      // two turns: called from an I/O callback, the first ends before the loop polls again.
      await yieldToLoop();
      if (seconds === 0) await yieldToLoop();
      this.#checkOpen("select");
      if (signal?.aborted) throw signal.reason;
      const ready = this.#ready.collect();
      if (ready.length > 0 || seconds === 0) return ready;
    }
    for (;;) {
      if (deadline !== Number.POSITIVE_INFINITY && now() >= deadline) return [];
      await this.#wait(deadline, signal);
      this.#checkOpen("select");
      if (signal?.aborted) throw signal.reason;
      const ready = this.#ready.collect();
      if (ready.length > 0) return ready;
    }
  }

  /** Until something may be ready, `deadline` (monotonic ms) passes, `signal` aborts or close. */
  #wait(deadline: number, signal: AbortSignal | undefined): Promise<void> {
    // Sockets do not keep the process alive; a select that waits does (see clock.ts).
    hold();
    return race(this.#ready.next(), deadline, signal, () => undefined).finally(release);
  }

  /**
   * The key of a registered object; a `KeyError` if it is not registered.
   *
   * @example
   * ```ts
   * const { events, data } = sel.getKey(conn);
   * ```
   */
  getKey(fileobj: F): SelectorKey<F, D> {
    this.#checkOpen("getKey");
    return this.#lookup(fileobj).key;
  }

  /**
   * A live, read-only `Map` view of the registrations, keyed by file object. Iterating it
   * yields `[fileobj, key]` pairs, like any `Map`. After `close()` it is empty.
   *
   * @example
   * ```ts
   * for (const [sock, key] of sel.getMap()) console.log(key.fd, key.events);
   * ```
   */
  getMap(): ReadonlyMap<F, SelectorKey<F, D>> {
    return this.#view;
  }

  /**
   * Unregisters everything and releases the selector; a `select` that is waiting rejects with
   * `SocketError` `EBADF`, as do later calls. Calling it again does nothing.
   *
   * @example
   * ```ts
   * sel.close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const watch of this.#watches.values()) watch.unsubscribe();
    this.#watches.clear();
    this.#keys.clear();
    this.#ready.clear();
    this.#ready.wakeAll(); // waiting selects find the selector closed and reject with EBADF
  }

  /**
   * Calls `close()`, so `using sel = new DefaultSelector()` is Python's `with`.
   *
   * @example
   * ```ts
   * {
   *   using sel = new DefaultSelector();
   *   sel.register(sock, EVENT_READ);
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  #lookup(fileobj: F): Watch<SelectorKey<F, D>> {
    const watch = this.#watches.get(fileobj);
    if (watch === undefined) throw new KeyError(`${name(fileobj)} is not registered`);
    return watch;
  }

  #checkOpen(op: string): void {
    if (this.#closed) throw new SocketError("EBADF", { op }, "the selector is closed");
  }
}

function makeKey<F, D>(fileobj: F, fd: number, events: number, data: D): SelectorKey<F, D> {
  return Object.freeze({ fileobj, fd, events, data });
}

function checkEvents(events: unknown, op: string): void {
  if (typeof events !== "number" || !Number.isInteger(events)) {
    throw new TypeError(`${op}(): events must be an integer, got ${describe(events)}`);
  }
  // A range check, not a bit test: 2 ** 32 has no bits JavaScript's `&` sees.
  if (events < EVENT_READ || events > ALL_EVENTS) {
    throw new RangeError(
      `${op}(): events must be EVENT_READ (1), EVENT_WRITE (2) or both (3), got ${events}`,
    );
  }
}

function name(fileobj: unknown): string {
  if (!isSelectable(fileobj)) return `The ${describe(fileobj)}`;
  const fd = fileobj[READINESS].fileno();
  return fd >= 0 ? `The socket with fd ${fd}` : "The socket";
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
