/**
 * The one buffer Node reads into for every stream (`onread`), and views of it. What lands here
 * is valid only during the read callback: RecvBuffer adopts or consumes it before the callback
 * returns (see RecvBuffer.pushBorrowed).
 */

/** Node reads into this one scratch buffer for every socket. */
export const SCRATCH = Buffer.allocUnsafe(64 * 1024);

let lastView: Uint8Array = SCRATCH.subarray(0, 0);

/**
 * The first `nread` bytes of the read buffer `buf` as a view. A view lives only for one read
 * callback, so one view is reused while reads have the same length: steady traffic makes no view
 * per read.
 */
export function scratchView(buf: Uint8Array, nread: number): Uint8Array {
  if (
    lastView.length !== nread ||
    lastView.buffer !== buf.buffer ||
    lastView.byteOffset !== buf.byteOffset
  ) {
    lastView = buf.subarray(0, nread);
  }
  return lastView;
}
