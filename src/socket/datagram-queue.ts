/**
 * The receive queue of a datagram socket: whole datagrams with their senders, oldest first, in a
 * ring that grows by doubling and is reused (a steady flow allocates nothing here).
 *
 * The queue is bounded in bytes, as Linux bounds a UDP socket's receive queue by `SO_RCVBUF`:
 * each datagram is charged its length plus {@link DATAGRAM_OVERHEAD} bytes (so empty datagrams
 * cannot pile up without bound either). A datagram that does not fit is dropped and counted,
 * except when the queue is empty: then it is kept, so a datagram larger than the bound can
 * still be received.
 */

import type { RemoteInfo } from "node:dgram";

/** Bytes each queued datagram is charged besides its payload (what its objects cost). */
export const DATAGRAM_OVERHEAD = 256;

/** See the module comment. */
export class DatagramQueue {
  /** Bytes the queue may hold (SO_RCVBUF). */
  limit: number;
  /** Datagrams dropped because the queue was full. */
  dropped = 0;
  #data: (Buffer | undefined)[] = new Array(8);
  #from: (RemoteInfo | undefined)[] = new Array(8);
  #head = 0;
  #count = 0;
  #bytes = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** How many datagrams wait. */
  get length(): number {
    return this.#count;
  }

  /** Bytes charged for the waiting datagrams (payload plus overhead). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues a datagram; false (and counted) if it was dropped for want of room. */
  push(data: Buffer, from: RemoteInfo): boolean {
    const cost = data.length + DATAGRAM_OVERHEAD;
    if (this.#count > 0 && this.#bytes + cost > this.limit) {
      this.dropped++;
      return false;
    }
    if (this.#count === this.#data.length) this.#grow();
    const tail = (this.#head + this.#count) & (this.#data.length - 1);
    this.#data[tail] = data;
    this.#from[tail] = from;
    this.#count++;
    this.#bytes += cost;
    return true;
  }

  /** The oldest datagram (the queue must not be empty). */
  get data(): Buffer {
    return this.#data[this.#head]!;
  }

  /** Who sent the oldest datagram (the queue must not be empty). */
  get from(): RemoteInfo {
    return this.#from[this.#head]!;
  }

  /** Drops the oldest datagram (the queue must not be empty). */
  shift(): void {
    const head = this.#head;
    this.#bytes -= this.#data[head]!.length + DATAGRAM_OVERHEAD;
    this.#data[head] = undefined;
    this.#from[head] = undefined;
    this.#head = (head + 1) & (this.#data.length - 1);
    this.#count--;
  }

  /** Drops every datagram (not counted as dropped: nobody can receive them any more). */
  clear(): void {
    this.#data = new Array(8);
    this.#from = new Array(8);
    this.#head = 0;
    this.#count = 0;
    this.#bytes = 0;
  }

  #grow(): void {
    const size = this.#data.length;
    const data: (Buffer | undefined)[] = new Array(size * 2);
    const from: (RemoteInfo | undefined)[] = new Array(size * 2);
    for (let i = 0; i < size; i++) {
      const at = (this.#head + i) & (size - 1);
      data[i] = this.#data[at];
      from[i] = this.#from[at];
    }
    this.#data = data;
    this.#from = from;
    this.#head = 0;
  }
}
