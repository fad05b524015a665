// Buffers and offsets given to the struct functions, with CPython's bounds checks and messages.
import { describe, typeName } from "../core/checks.js";
import { StructError } from "./error.js";

/**
 * What the struct functions read from and write to: any typed array or DataView (at its own
 * `byteOffset`), or a whole ArrayBuffer or SharedArrayBuffer.
 *
 * @example
 * ```ts
 * import { unpack, type StructBuffer } from "sockit/struct";
 * const source: StructBuffer = new DataView(new ArrayBuffer(8), 4, 4);
 * unpack("<I", source); // [0]
 * ```
 */
export type StructBuffer = ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

/** The bytes of a buffer argument as a Uint8Array over the same memory (no copy). */
export function bytesOf(buffer: unknown): Uint8Array {
  if (buffer instanceof Uint8Array) return buffer;
  if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  if (buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer) {
    return new Uint8Array(buffer);
  }
  throw new TypeError(`a bytes-like object is required, not '${typeName(buffer)}'`);
}

/** An offset argument: a safe integer number or a bigint that is one. */
export function offsetOf(offset: unknown): number {
  if (typeof offset === "number" && Number.isSafeInteger(offset)) return offset;
  if (typeof offset === "bigint") {
    if (offset >= Number.MIN_SAFE_INTEGER && offset <= Number.MAX_SAFE_INTEGER) {
      return Number(offset);
    }
    throw new RangeError(`offset ${offset} is out of the range of safe integers`);
  }
  throw new TypeError(`offset must be an integer, not ${describe(offset)}`);
}

/** The wording of CPython's bounds errors for `pack_into` and for `unpack_from`. */
interface BoundsWords {
  readonly name: string;
  readonly gerund: string;
  readonly noRoom: string;
}
const PACK_INTO: BoundsWords = { name: "pack_into", gerund: "packing", noRoom: "no space to pack" };
const UNPACK_FROM: BoundsWords = {
  name: "unpack_from",
  gerund: "unpacking",
  noRoom: "not enough data to unpack",
};

/** Where `size` bytes go for `offset` (negative counts from the end), checked as CPython does. */
function start(size: number, offset: number, length: number, words: BoundsWords): number {
  if (offset < 0) {
    if (offset + size > 0) {
      throw new StructError(`${words.noRoom} ${size} bytes at offset ${offset}`);
    }
    if (offset + length < 0) {
      throw new StructError(`offset ${offset} out of range for ${length}-byte buffer`);
    }
    offset += length;
  }
  if (length - offset < size) {
    throw new StructError(
      `${words.name} requires a buffer of at least ${BigInt(size) + BigInt(offset)} bytes for ` +
        `${words.gerund} ${size} bytes at offset ${offset} (actual buffer size is ${length})`,
    );
  }
  return offset;
}

/** Where `pack_into` writes `size` bytes for `offset` (negative counts from the end). */
export function packIntoStart(size: number, offset: number, length: number): number {
  return start(size, offset, length, PACK_INTO);
}

/** Where `unpack_from` reads `size` bytes for `offset` (negative counts from the end). */
export function unpackFromStart(size: number, offset: number, length: number): number {
  return start(size, offset, length, UNPACK_FROM);
}
