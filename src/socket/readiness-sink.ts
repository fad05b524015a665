/**
 * How a transport (a Stream or a Listener) tells its owner that a direction may have become
 * ready: it calls the owner's READABLE or WRITABLE method, and the owner wakes its waiters.
 */

/** Method keys of a {@link ReadinessSink} (symbols, so a Socket can be one without new API). */
export const READABLE: unique symbol = Symbol("sockit.readable");
export const WRITABLE: unique symbol = Symbol("sockit.writable");

/** Who hears that a direction may have become ready. */
export interface ReadinessSink {
  [READABLE](): void;
  [WRITABLE](): void;
}
