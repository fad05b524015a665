/**
 * How many `node:net` sockets and servers, and `node:dgram` sockets, sockit holds open. Sockets and servers are unref'd
 * (see core/clock.ts), so the runtime's own list of active handles
 * (`process.getActiveResourcesInfo()`) no longer shows one that was left open; the tests' leak
 * check reads these counts instead. Internal: not exported from the package.
 */

import type { EventEmitter } from "node:events";

const counts = { stream: 0, listener: 0, datagram: 0 };

/**
 * Counts `emitter` (a net.Server or dgram.Socket) as open until it emits `'close'`. A stream's
 * net.Socket is counted by {@link streamOpened} and {@link streamClosed}, called by the stream's
 * own listeners (a `once` listener costs a wrapper and a bound function per connection).
 */
export function countOpen(emitter: EventEmitter, kind: "listener" | "datagram"): void {
  counts[kind]++;
  emitter.once("close", kind === "listener" ? listenerClosed : datagramClosed);
}

/** A stream's net.Socket is open (until {@link streamClosed}). */
export function streamOpened(): void {
  counts.stream++;
}

/** A stream's net.Socket emitted `'close'`. */
export function streamClosed(): void {
  counts.stream--;
}

function listenerClosed(): void {
  counts.listener--;
}

function datagramClosed(): void {
  counts.datagram--;
}

/** The connections, listeners and datagram sockets sockit holds open now. */
export function openHandles(): {
  readonly stream: number;
  readonly listener: number;
  readonly datagram: number;
} {
  return { ...counts };
}
