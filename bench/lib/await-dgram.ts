/**
 * The floor of a promise-per-call datagram API: the least a library can do to offer awaitable
 * `recvFrom`/`recvFromInto`/`sendTo` over `node:dgram`'s `'message'` events, with the same
 * shapes as sockit's (`[data, [host, port]]`, `[count, [host, port]]`). No modes, timeouts,
 * deadlines, argument checks, errors, bound or backpressure; one waiting receive at a time. It
 * exists only so the UDP benchmark can show, in the same run, what any such API costs against
 * raw events.
 */

import * as dgram from "node:dgram";
import { once } from "node:events";

type Address = [string, number];

/** A `dgram.Socket` whose datagrams are awaited. */
export class AwaitDgram {
  readonly socket: dgram.Socket;
  readonly #data: Buffer[] = [];
  readonly #from: dgram.RemoteInfo[] = [];
  #waiting: (() => void) | null = null;

  constructor() {
    this.socket = dgram.createSocket("udp4");
    this.socket.on("message", (data: Buffer, from: dgram.RemoteInfo) => {
      this.#data.push(data);
      this.#from.push(from);
      const waiting = this.#waiting;
      if (waiting !== null) {
        this.#waiting = null;
        waiting();
      }
    });
  }

  async bind(host: string, port: number): Promise<number> {
    this.socket.bind(port, host);
    await once(this.socket, "listening");
    return this.socket.address().port;
  }

  #next(): Promise<void> | null {
    if (this.#data.length > 0) return null;
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** One datagram and its sender. */
  async recvFrom(): Promise<[Buffer, Address]> {
    await this.#next();
    const from = this.#from.shift()!;
    return [this.#data.shift()!, [from.address, from.port]];
  }

  /** One datagram copied into `buffer` (truncated), its length and its sender. */
  async recvFromInto(buffer: Buffer): Promise<[number, Address]> {
    await this.#next();
    const data = this.#data.shift()!;
    const from = this.#from.shift()!;
    const n = Math.min(data.length, buffer.length);
    data.copy(buffer, 0, 0, n);
    return [n, [from.address, from.port]];
  }

  /** Hands a copy of `data` to Node for `to`. */
  async sendTo(data: Buffer, to: Address): Promise<number> {
    this.socket.send(Buffer.from(data), to[1], to[0]);
    return data.length;
  }

  /** Closes once what was handed to Node has left (Node sends in a later tick). */
  close(): void {
    setTimeout(() => this.socket.close(), 50);
  }
}
