// Buffers and offsets given to the struct functions, with CPython's bounds checks and messages.
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

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object" || typeof value === "function") {
    return value.constructor?.name ?? typeof value;
  }
  return typeof value;
}

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
  throw new TypeError(`offset must be an integer, not ${typeName(offset)} ${String(offset)}`);
}

/** Where `pack_into` writes `size` bytes for `offset` (negative counts from the end). */
export function packIntoStart(size: number, offset: number, length: number): number {
  if (offset < 0) {
    if (offset + size > 0) {
      throw new StructError(`no space to pack ${size} bytes at offset ${offset}`);
    }
    if (offset + length < 0) {
      throw new StructError(`offset ${offset} out of range for ${length}-byte buffer`);
    }
    offset += length;
  }
  if (length - offset < size) {
    throw new StructError(
      `pack_into requires a buffer of at least ${BigInt(size) + BigInt(offset)} bytes for ` +
        `packing ${size} bytes at offset ${offset} (actual buffer size is ${length})`,
    );
  }
  return offset;
}

/** Where `unpack_from` reads `size` bytes for `offset` (negative counts from the end). */
export function unpackFromStart(size: number, offset: number, length: number): number {
  if (offset < 0) {
    if (offset + size > 0) {
      throw new StructError(`not enough data to unpack ${size} bytes at offset ${offset}`);
    }
    if (offset + length < 0) {
      throw new StructError(`offset ${offset} out of range for ${length}-byte buffer`);
    }
    offset += length;
  }
  if (length - offset < size) {
    throw new StructError(
      `unpack_from requires a buffer of at least ${BigInt(size) + BigInt(offset)} bytes for ` +
        `unpacking ${size} bytes at offset ${offset} (actual buffer size is ${length})`,
    );
  }
  return offset;
}
