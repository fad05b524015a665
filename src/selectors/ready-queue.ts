/**
 * The engine under `DefaultSelector`: which keys may be ready, and who waits for one.
 *
 * Why a `select` costs O(ready), not O(registered): every watch subscribes to its socket's
 * readiness (internal/observe.ts). A change that leaves the watch ready puts it in the
 * `candidates` set and wakes waiting selects (see `next`); a change that does not is ignored.
 * `collect` looks only at `candidates`: a watch that is no longer ready leaves the set, one that
 * still is stays for the next call (level-triggered, as `epoll` is by default). Nothing ever
 * scans every registration, and nothing polls on a timer.
 */

import { EVENT_READ, EVENT_WRITE } from "../core/constants.js";
import type { Readiness } from "./readiness.js";

/** One registration as the engine sees it. */
export interface Watch<K> {
  /** What `collect` reports for this watch. */
  key: K;
  /** The events asked for (`EVENT_READ | EVENT_WRITE` bits). */
  events: number;
  readonly readiness: Readiness;
  unsubscribe: () => void;
  /** True while the watch is in `candidates`. */
  queued: boolean;
}

export class ReadyQueue<K> {
  readonly #candidates = new Set<Watch<K>>();
  #wakeup: { promise: Promise<void>; resolve: () => void } | undefined;

  /** Starts watching `readiness` for `events`; a watch that is ready now is a candidate at once. */
  watch(readiness: Readiness, events: number, key: K): Watch<K> {
    const watch: Watch<K> = { key, events, readiness, unsubscribe: noop, queued: false };
    watch.unsubscribe = readiness.observe(() => this.#changed(watch));
    this.#changed(watch);
    return watch;
  }

  /** Stops watching. */
  unwatch(watch: Watch<K>): void {
    this.#candidates.delete(watch);
    watch.queued = false;
    watch.unsubscribe();
  }

  /** Changes what a watch asks for and reports; wakes waiters if that makes it ready. */
  update(watch: Watch<K>, events: number, key: K): void {
    const changed = events !== watch.events;
    watch.events = events;
    watch.key = key;
    // A watch that asks for less may stay a candidate without being ready; collect drops it.
    if (changed) this.#changed(watch);
  }

  /** Drops candidates that are no longer ready; true if any is ready (allocates nothing). */
  prune(): boolean {
    let someReady = false;
    for (const watch of this.#candidates) {
      if (readyEvents(watch) !== 0) {
        someReady = true;
      } else {
        this.#candidates.delete(watch);
        watch.queued = false;
      }
    }
    return someReady;
  }

  /** The ready `[key, events]` pairs among the candidates; drops candidates no longer ready. */
  collect(): [K, number][] {
    const out: [K, number][] = [];
    for (const watch of this.#candidates) {
      const ready = readyEvents(watch);
      if (ready !== 0) {
        out.push([watch.key, ready]);
      } else {
        this.#candidates.delete(watch);
        watch.queued = false;
      }
    }
    return out;
  }

  /**
   * A promise that resolves at the next change that may have made a watch ready, or at the next
   * {@link wakeAll}. Every waiting select shares it, so waiting allocates nothing per call; a
   * select woken for someone else's reason (its timer, its signal) just checks and waits again.
   */
  next(): Promise<void> {
    if (this.#wakeup === undefined) {
      let resolve: () => void = noop;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#wakeup = { promise, resolve };
    }
    return this.#wakeup.promise;
  }

  /** Wakes every waiting select. */
  readonly wakeAll = (): void => {
    const wakeup = this.#wakeup;
    if (wakeup === undefined) return;
    this.#wakeup = undefined;
    wakeup.resolve();
  };

  /** Forgets every candidate (the watches must be unsubscribed by their owner). */
  clear(): void {
    for (const watch of this.#candidates) watch.queued = false;
    this.#candidates.clear();
  }

  /** Called synchronously by the socket whenever the watch's readiness may have changed. */
  #changed(watch: Watch<K>): void {
    if (readyEvents(watch) === 0) return;
    if (!watch.queued) {
      watch.queued = true;
      this.#candidates.add(watch);
    }
    this.wakeAll();
  }
}

function readyEvents<K>(watch: Watch<K>): number {
  const { events, readiness } = watch;
  let ready = 0;
  if (events & EVENT_READ && readiness.readable()) ready = EVENT_READ;
  if (events & EVENT_WRITE && readiness.writable()) ready |= EVENT_WRITE;
  return ready;
}

function noop(): void {}
