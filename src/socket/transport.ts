/**
 * The transport seam: what a socket's kernel side offers the socket above it, whatever carries
 * it. A transport turns its runtime's push-style events into state that an attempt reads
 * without waiting (readable, writable, the pending error, buffered data) and tells its sink
 * whenever a direction may have become ready; the socket wakes its waiting calls from there.
 *
 * Contract for every transport:
 * - `readable`: a receiving call (`recv*`, `accept`) would not wait: data, a datagram, end of
 *   stream, a pending connection or a pending error.
 * - `writable`: a sending call would not wait, or a connect has finished either way.
 * - Errors never escape as events: the first one is kept as `pending` (what `SO_ERROR` reads)
 *   and raised by the next call that looks (`takeError`).
 * - `close(reset)` releases the kernel side at once; nothing is reported afterwards.
 *
 * The transports: `Stream` (a TCP or Unix connection, connecting or connected), `Listener`,
 * `Datagram` (a UDP socket).
 */

import { codeOf, fromNodeError, type SocketError } from "../core/errors.js";

/** Who hears that a direction may have become ready (the socket's descriptor). */
export interface TransportSink {
  readableChanged(): void;
  writableChanged(): void;
}

/** A sink that hears nothing (a connection accepted before its socket exists). */
export const NO_SINK: TransportSink = { readableChanged() {}, writableChanged() {} };

/** A transport error kept for the next call: its errno name and what the runtime raised. */
export interface PendingError {
  readonly code: string;
  readonly cause: unknown;
}

/** What every transport offers; see the module comment. */
export abstract class Transport {
  /** Which calls apply to it. */
  abstract readonly kind: "stream" | "listener" | "datagram";
  /** The error the next call raises, or null. */
  pending: PendingError | null = null;
  protected sink: TransportSink;

  constructor(sink: TransportSink) {
    this.sink = sink;
  }

  /** A receiving call would not wait. */
  abstract get readable(): boolean;
  /** A sending call would not wait, or a connect has finished. */
  abstract get writable(): boolean;
  /** The address to name in error messages. */
  abstract get label(): string;
  /** The OS descriptor, or −1. */
  abstract fileno(): number;
  /** Releases the kernel side now; with `reset`, a connection is reset (SO_LINGER 0). */
  abstract close(reset: boolean): void;

  /** Points readiness reports at a new owner (an accepted connection gets its socket later). */
  setSink(sink: TransportSink): void {
    this.sink = sink;
  }

  /** Keeps `error` as the pending error (the first one wins) and wakes both directions. */
  protected fail(error: unknown): void {
    if (this.pending === null) this.pending = { code: codeOf(error), cause: error };
    this.sink.readableChanged();
    this.sink.writableChanged();
  }

  /** The pending error as the class Python raises, cleared (the next call after an error). */
  takeError(op: string): SocketError {
    const pending = this.pending!;
    this.pending = null;
    return fromNodeError(pending.cause, { op, address: this.label });
  }

  /** The pending error's errno name, cleared without raising it (`SO_ERROR`). */
  clearError(): string | undefined {
    const code = this.pending?.code;
    this.pending = null;
    return code;
  }
}
