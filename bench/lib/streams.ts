/**
 * What the stream benchmarks share between implementations: the pipe benchmark's source and
 * sink (the same Node.js streams on both sides of every implementation), and the floor of a
 * promise-per-line API.
 */

import type * as net from "node:net";
import { Readable, Writable } from "node:stream";

/** The pipe benchmark's source: `totalBytes` as one `chunkBytes` buffer repeated. */
export function bulkSource(totalBytes: number, chunkBytes: number): Readable {
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < totalBytes; sent += chunk.length) yield chunk;
    })(),
  );
}

/** The pipe benchmark's sink: counts bytes and drops them. */
export function countingSink(): Writable & { bytes: number } {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      sink.bytes += chunk.length;
      callback();
    },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}

/**
 * The least possible `readline()` that returns a promise, over a `net.Socket`: UTF-8 decoding
 * by Node's `setEncoding`, lines found in one string, no limits, modes, timeouts, checks or
 * backpressure. Its cost against node:readline's `'line'` events is what awaiting each line
 * costs any API of that shape.
 */
export class LineReader {
  #text = "";
  #pos = 0;
  #ended = false;
  #waiting: ((line: string) => void) | null = null;

  constructor(socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.#text = this.#pos < this.#text.length ? this.#text.slice(this.#pos) + chunk : chunk;
      this.#pos = 0;
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  /** The next line with its `"\n"`; the rest at end of stream; then `""`. */
  readline(): Promise<string> {
    const line = this.#next();
    if (line !== null) return Promise.resolve(line);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  #next(): string | null {
    const text = this.#text;
    const i = text.indexOf("\n", this.#pos);
    if (i >= 0) {
      const line = text.slice(this.#pos, i + 1);
      this.#pos = i + 1;
      return line;
    }
    if (!this.#ended) return null;
    const rest = text.slice(this.#pos);
    this.#pos = text.length;
    return rest;
  }

  #wake(): void {
    const waiting = this.#waiting;
    if (waiting === null) return;
    const line = this.#next();
    if (line === null) return;
    this.#waiting = null;
    waiting(line);
  }
}
