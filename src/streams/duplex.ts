/**
 * `sock.toDuplex()`: a `node:stream` Duplex over the socket, for `pipeline`, `pipe` and every
 * consumer of Node.js streams.
 *
 * Backpressure is end to end: the Duplex reads a chunk from the socket's receive buffer only
 * when its own readable buffer is below its `highWaterMark`; otherwise the receive buffer fills
 * (up to `SO_RCVBUF`), sockit stops reading from the kernel, and TCP flow control slows the
 * peer. Writes complete once the socket has accepted them (`sendAll`), so the Duplex's writable
 * buffer fills while the peer does not read.
 *
 * Once made, the Duplex holds the socket: its buffers hold data the socket no longer sees, so
 * the socket's own data calls (`recv*`, `send*`, `shutdown`, `makefile`, iteration, the web
 * streams) fail with `SocketError` `EBUSY`. Everything that moves no data still works:
 * options, names, deadlines (a passed deadline fails the Duplex's waiting read or write), and
 * `close()`, which destroys the Duplex.
 *
 * @module
 */

import { Duplex } from "node:stream";
import { checkOptions } from "../core/checks.js";
import { SHUT_WR, SOCK_DGRAM } from "../core/constants.js";
import { SocketError } from "../core/errors.js";
import { type Descriptor, streamOnly } from "../socket/descriptor.js";
import type { Operation } from "../socket/operation.js";
import { closedError, NOT_READY, type WaitOptions } from "../socket/operation.js";
import { run } from "../socket/policy.js";
import * as calls from "../socket/stream-calls.js";
import type { SendAllState } from "../socket/transport.js";
import { CHUNK_BYTES, type ChunkCall, RECV_CHUNK, WAIT } from "./chunks.js";

/** Options of `toDuplex`: the buffer sizes of the Duplex, as `stream.Duplex` takes them. */
export interface DuplexOptions {
  /** Bytes each side buffers before it applies backpressure (Node's default: 16 KiB). */
  highWaterMark?: number;
  /** Bytes the readable side buffers before it stops reading from the socket. */
  readableHighWaterMark?: number;
  /** Bytes the writable side buffers before `write()` returns false. */
  writableHighWaterMark?: number;
}

/** `sendAll` for the holder of a handed-over socket. */
interface HeldSend extends SendAllState {
  readonly by: object | undefined;
}

/** `sendAll(state.data)` made by `state.by`. */
const SEND_HELD: Operation<
  Descriptor,
  [state: HeldSend, options?: WaitOptions],
  HeldSend,
  undefined
> = {
  name: "sendAll",
  direction: "write",
  prepare: (_d, state) => state,
  options: (_state, options) => options,
  attempt: (d, state) => calls.sendAll(d.stream("sendAll", "write", state.by), state, "sendAll"),
};

/** Chunks a Duplex had buffered, sent together: `end` is where the last one ends once handed over. */
interface HeldBatch {
  readonly chunks: Uint8Array[];
  readonly by: object;
  end: number;
}

/** Hands `batch.chunks` to the socket at once (one `writev`); done once the kernel took them. */
const SEND_BATCH: Operation<
  Descriptor,
  [batch: HeldBatch, options?: WaitOptions],
  HeldBatch,
  undefined
> = {
  name: "sendAll",
  direction: "write",
  prepare: (_d, batch) => batch,
  options: (_batch, options) => options,
  attempt: (d, batch) => {
    const stream = d.stream("sendAll", "write", batch.by);
    if (batch.end < 0) {
      if (stream.state === "connecting") return NOT_READY;
      calls.checkWritable(stream, "sendAll");
      batch.end = stream.writeBatch(batch.chunks);
    }
    return stream.queued === 0 || stream.completed >= batch.end ? undefined : NOT_READY;
  },
};

/** The Duplex over a socket; see the module comment. */
class SocketDuplex extends Duplex {
  readonly #d: Descriptor;
  readonly #chunk: ChunkCall;
  /** A read from the socket is under way. */
  #pulling = false;
  readonly #forget: () => void;

  constructor(d: Descriptor, options: DuplexOptions) {
    const { highWaterMark, readableHighWaterMark, writableHighWaterMark } = options;
    super({
      allowHalfOpen: true,
      ...(highWaterMark === undefined ? {} : { highWaterMark }),
      ...(readableHighWaterMark === undefined ? {} : { readableHighWaterMark }),
      ...(writableHighWaterMark === undefined ? {} : { writableHighWaterMark }),
    });
    this.#d = d;
    this.#chunk = { max: CHUNK_BYTES, by: this };
    d.handOver(this);
    this.#forget = d.onClose(() => this.destroy());
  }

  override _read(): void {
    if (!this.#pulling) this.#pull();
  }

  #pull(): void {
    this.#pulling = true;
    run(this.#d, RECV_CHUNK, this.#chunk, WAIT).then(this.#onChunk, this.#onError);
  }

  readonly #onChunk = (chunk: Buffer): void => {
    this.#pulling = false;
    if (chunk.length === 0) this.push(null);
    else if (this.push(chunk)) this.#pull();
  };

  readonly #onError = (error: unknown): void => {
    this.#pulling = false;
    this.destroy(error instanceof Error ? error : new Error(String(error)));
  };

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const send = { data: chunk, sent: 0, lastWrite: 0, by: this };
    run(this.#d, SEND_HELD, send, WAIT).then(() => callback(), callback);
  }

  /** Several chunks buffered behind a write in flight: handed over together, as net.Socket does. */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    const batch: HeldBatch = { chunks: chunks.map((entry) => entry.chunk), by: this, end: -1 };
    run(this.#d, SEND_BATCH, batch, WAIT).then(() => callback(), callback);
  }

  /** Ending the writable side sends FIN once everything written was accepted. */
  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.#d.shutdown(SHUT_WR, this);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  /** Destroying the Duplex (or Node destroying it once both sides ended) closes the socket. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#forget();
    this.#d.close();
    callback(error);
  }
}

/** `sock.toDuplex(options)`; a second call returns the same Duplex. */
export function toDuplex(d: Descriptor, options?: DuplexOptions): Duplex {
  const held = d.holder;
  if (held instanceof SocketDuplex) return held;
  const checked = checkOptions<DuplexOptions>(options, "toDuplex(): options") ?? {};
  if (d.closed) throw closedError("toDuplex", d);
  if (d.type === SOCK_DGRAM) throw streamOnly("toDuplex");
  const stream = d.openStream();
  if (stream === undefined || stream.state !== "open") {
    throw new SocketError(
      "ENOTCONN",
      { op: "toDuplex", address: d.describe() },
      "the socket is not connected: connect it (or accept it) first",
    );
  }
  return new SocketDuplex(d, checked);
}
