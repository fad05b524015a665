/**
 * Binary file objects (`makefile("rb")`…): Python's BufferedReader/BufferedWriter over a
 * socket, or its raw `SocketIO` with `buffering: 0`.
 *
 * @module
 */

import { describe } from "../core/checks.js";
import type { WaitOptions } from "../socket/operation.js";
import { UnsupportedOperation } from "./errors.js";
import { optionsOf, type Size, SocketFile, sizeOf } from "./file.js";
import { READ1, READINTO } from "./file-ops.js";
import { BYTES, type Fit } from "./write-buffer.js";

/** A binary file object: reads return `Buffer`s, `write` takes `Uint8Array`s. */
export class BinaryFile extends SocketFile<Buffer, Uint8Array> {
  /**
   * What has arrived, up to `n` bytes (everything buffered when `n` is negative or omitted),
   * waiting only if nothing has: at most one wait, as Python's `read1`. Empty at end of stream.
   */
  read1(n?: Size | WaitOptions, options?: WaitOptions): Promise<Buffer> {
    try {
      this.checkRead("read1");
      if (this.raw) {
        throw new UnsupportedOperation(
          "read1",
          "an unbuffered file object (buffering 0) has no read1(): use read()",
        );
      }
      return this.runRead(READ1, sizeOf(n, "read1(): n"), optionsOf(n, options)) as Promise<Buffer>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Fills `buffer` and returns the count: fewer bytes only at end of stream (0 there).
   * Unbuffered files: one `recvInto`.
   */
  readinto(buffer: Uint8Array, options?: WaitOptions): Promise<number> {
    try {
      this.checkRead("readinto");
      if (!(buffer instanceof Uint8Array)) {
        throw new TypeError(`readinto(): buffer must be a Uint8Array, got ${describe(buffer)}`);
      }
      return this.runCall(READINTO, buffer, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** @internal */
  protected override encode(data: Uint8Array): [Uint8Array, number, Fit] {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(
        `write(): a binary file takes a Uint8Array, got ${describe(data)}; remove "b" from the mode to write strings`,
      );
    }
    return [data, data.length, BYTES];
  }
}
