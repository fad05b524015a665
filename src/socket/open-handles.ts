/**
 * How many `node:net` sockets and servers, and `node:dgram` sockets, sockit holds open. Sockets and servers are unref'd
 * (see core/clock.ts), so the runtime's own list of active handles
 * (`process.getActiveResourcesInfo()`) no longer shows one that was left open; the tests' leak
 * check reads these counts instead. Internal: not exported from the package.
 */

import type { EventEmitter } from "node:events";

const counts = { stream: 0, listener: 0, datagram: 0 };

/** Counts `emitter` (a net.Socket, net.Server or dgram.Socket) as open until it emits `'close'`. */
export function countOpen(emitter: EventEmitter, kind: keyof typeof counts): void {
  counts[kind]++;
  emitter.once(
    "close",
    kind === "stream" ? streamClosed : kind === "listener" ? listenerClosed : datagramClosed,
  );
}

function streamClosed(): void {
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
