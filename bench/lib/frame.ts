/**
 * The application-level framing every implementation shares in the framed benchmark: a 4-byte
 * big-endian length, then the payload. Encoding allocates a fresh frame, as typical code does.
 */

/** Bytes of the length prefix. */
export const HEADER_BYTES = 4;

/** A new frame holding `payload`. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/**
 * Hand-written framing over `'data'` events, the way users typically write it: keep what is
 * left over, `Buffer.concat` each new chunk onto it, then cut out every complete frame.
 */
export class ConcatFramer {
  #pending: Buffer = Buffer.alloc(0);

  /** Adds a chunk and calls `onFrame(payload)` for every complete frame. */
  push(chunk: Buffer, onFrame: (payload: Buffer) => void): void {
    let buffered = Buffer.concat([this.#pending, chunk]);
    while (buffered.length >= HEADER_BYTES) {
      const length = buffered.readUInt32BE(0);
      if (buffered.length < HEADER_BYTES + length) break;
      const payload = buffered.subarray(HEADER_BYTES, HEADER_BYTES + length);
      buffered = buffered.subarray(HEADER_BYTES + length);
      onFrame(payload);
    }
    this.#pending = buffered;
  }
}
