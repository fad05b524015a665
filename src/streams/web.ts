/**
 * `sock.readable` and `sock.writable`: the socket as WHATWG streams, as Deno's `Conn` offers.
 *
 * `readable` is a byte stream: a BYOB reader (`getReader({ mode: "byob" })`) receives straight
 * into the caller's buffer (`recvInto`), a default reader gets the chunks as they came. Its
 * high-water mark is 0, so it buffers nothing of its own: bytes wait in the socket's receive
 * buffer until read, and backpressure reaches the peer as with `recv`. `writable` completes each
 * write once the socket has accepted it (`sendAll`).
 *
 * Both wait whatever the socket's mode (deadlines apply). Close rules: `writable.close()` sends
 * FIN (`shutdown(SHUT_WR)`) after its queued chunks; `writable.abort()` and
 * `readable.cancel()` (also leaving a `for await` over it early) close the socket, as
 * destroying the Duplex does; reaching end of stream closes nothing. They keep no data the
 * socket does not see, so the socket's own calls still work alongside them.
 *
 * @module
 */

import { type ReadableByteStreamController, ReadableStream, WritableStream } from "node:stream/web";
import { SHUT_WR } from "../core/constants.js";
import type { Descriptor } from "../socket/descriptor.js";
import { RECV_INTO, SEND_ALL } from "../socket/operations.js";
import { run } from "../socket/policy.js";
import { CHUNK_BYTES, type ChunkCall, RECV_CHUNK, WAIT } from "./chunks.js";

const readables = new WeakMap<Descriptor, ReadableStream<Uint8Array>>();
const writables = new WeakMap<Descriptor, WritableStream<Uint8Array>>();
const CHUNK: ChunkCall = { max: CHUNK_BYTES, by: undefined };

/** The socket's `ReadableStream` (made on first use; the same one afterwards). */
export function readableOf(d: Descriptor): ReadableStream<Uint8Array> {
  let readable = readables.get(d);
  if (readable === undefined) {
    readable = new ReadableStream(
      {
        type: "bytes",
        pull: (controller) => pull(d, controller),
        cancel: () => d.close(),
      },
      { highWaterMark: 0 },
    );
    readables.set(d, readable);
  }
  return readable;
}

/** The socket's `WritableStream` (made on first use; the same one afterwards). */
export function writableOf(d: Descriptor): WritableStream<Uint8Array> {
  let writable = writables.get(d);
  if (writable === undefined) {
    writable = new WritableStream<Uint8Array>({
      write: (chunk) => run(d, SEND_ALL, chunk, WAIT),
      close: () => d.shutdown(SHUT_WR),
      abort: () => d.close(),
    });
    writables.set(d, writable);
  }
  return writable;
}

async function pull(d: Descriptor, controller: ReadableByteStreamController): Promise<void> {
  const request = controller.byobRequest;
  if (request !== null && request.view !== null) {
    const { buffer, byteOffset, byteLength } = request.view;
    const n = await run(d, RECV_INTO, new Uint8Array(buffer, byteOffset, byteLength), WAIT);
    if (n === 0) controller.close();
    request.respond(n);
    return;
  }
  const chunk = await run(d, RECV_CHUNK, CHUNK, WAIT);
  if (chunk.length === 0) controller.close();
  else controller.enqueue(ownBuffer(chunk));
}

/**
 * A chunk a byte stream may take over: enqueueing transfers (detaches) the chunk's whole
 * ArrayBuffer, so a view of a shared one (Node's small-Buffer pool) is copied first.
 */
function ownBuffer(chunk: Buffer): Uint8Array {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) return chunk;
  return new Uint8Array(chunk);
}
