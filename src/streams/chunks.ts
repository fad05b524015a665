/**
 * Reading received data as it came, one buffered chunk at a time (no copy when the receive
 * buffer owns the chunk): what `for await (const chunk of sock)`, the Node.js stream and the web
 * `ReadableStream` take. And `for await` itself: each step is a `recv` under the socket's mode.
 *
 * @module
 */

import type { Descriptor } from "../socket/descriptor.js";
import type { Operation } from "../socket/operation.js";
import { NOT_READY, type WaitOptions } from "../socket/operation.js";
import { run } from "../socket/policy.js";
import { ended } from "../socket/stream-calls.js";

/** A read of the first buffered chunk, for its reader (`by`: the holder of a handed-over socket). */
export interface ChunkCall {
  /** Most bytes to take. */
  readonly max: number;
  readonly by: object | undefined;
}

/** The first buffered chunk, at most `call.max` bytes; empty at end of stream. */
export const RECV_CHUNK: Operation<
  Descriptor,
  [call: ChunkCall, options?: WaitOptions],
  ChunkCall,
  Buffer
> = {
  name: "recv",
  direction: "read",
  prepare: (_d, call) => call,
  options: (_call, options) => options,
  attempt: (d, call) => {
    const stream = d.stream("recv", "read", call.by);
    if (stream.state === "connecting") return NOT_READY;
    const rx = stream.rx;
    if (rx.length > 0) {
      const out = rx.readChunk(call.max);
      stream.refill();
      return out;
    }
    return ended(stream, "recv") ? EMPTY : NOT_READY;
  },
};

/** Options that make a call wait whatever the socket's mode (stream adapters; deadlines apply). */
export const WAIT: WaitOptions = Object.freeze({ timeout: null });

/** Most bytes one chunk of iteration holds (what one read from the kernel brings). */
export const CHUNK_BYTES = 64 * 1024;

const EMPTY = Buffer.alloc(0);
const ITERATION: ChunkCall = { max: CHUNK_BYTES, by: undefined };

/**
 * The received data as it comes, until end of stream. Each step is a `recv` under the socket's
 * mode (a timeout or a non-blocking miss ends the loop with its error, nothing consumed);
 * leaving the loop early leaves the socket open and everything not yet yielded in it.
 */
export async function* chunks(d: Descriptor): AsyncGenerator<Buffer, void, undefined> {
  for (;;) {
    const chunk = await run(d, RECV_CHUNK, ITERATION);
    if (chunk.length === 0) return;
    yield chunk;
  }
}
