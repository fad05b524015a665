/**
 * The readiness contract between sockets and selectors (mio's vocabulary: `events` is what a
 * selector asked for, `ready` is what happened).
 *
 * A socket exposes `[READINESS]`: whether it is readable or writable *now* (a `recv`/`accept`
 * or a `send` would not wait) and a way to hear, synchronously, every time either may have
 * changed. Selectors depend on this interface only, never on a socket's insides.
 */

/** What a socket tells a selector. */
export interface Readiness {
  /** A `recv`/`accept` would not wait: data, end of stream, a pending connection or an error. */
  readable(): boolean;
  /** A `send` would not wait, or a non-blocking `connect` has finished. */
  writable(): boolean;
  /** The descriptor the selector reports in its key (`fileno()` at registration). */
  fileno(): number;
  /** Calls `listener` whenever readiness may have changed; returns the unsubscribe function. */
  observe(listener: () => void): () => void;
}

/** The key under which a socket exposes its {@link Readiness}. */
export const READINESS: unique symbol = Symbol("sockit.readiness");

/** Anything a selector can watch. */
export interface Selectable {
  readonly [READINESS]: Readiness;
}

/** True if `value` can be registered with a selector. */
export function isSelectable(value: unknown): value is Selectable {
  return typeof value === "object" && value !== null && READINESS in value;
}

/**
 * The selectors watching one socket: its {@link Readiness.observe} list, notified on every
 * readiness change. Most sockets are never registered, so a socket makes this on first use.
 */
export class Observers {
  readonly #listeners: (() => void)[] = [];

  /** Adds `listener`; returns the function that removes it. */
  add(listener: () => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Tells every selector that readiness may have changed. */
  notify(): void {
    const listeners = this.#listeners;
    if (listeners.length === 1) listeners[0]!();
    else for (const listener of [...listeners]) listener();
  }
}
