/**
 * Python's `struct` module: packs values into bytes and unpacks them again, following a format
 * string in CPython's format language (`@ = < > !`, repeat counts, `x c b B ? h H i I l L q Q n N
 * e f d s p P`). Bytes, sizes, values and errors are CPython 3.11's for the same format and values.
 * This entry point loads no networking code.
 *
 * @example
 * ```ts
 * import { pack, unpack } from "sockit/struct";
 * const header = pack("!IHH", 1, 2, 3); // <Buffer 00 00 00 01 00 02 00 03>
 * unpack("!IHH", header); // [1, 2, 3]
 * ```
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { bytesOf, offsetOf, packIntoStart, type StructBuffer, unpackFromStart } from "./buffers.js";
import { type Codec, compile, type ReadFunction } from "./compile.js";
import { StructError } from "./error.js";
import { type ParsedFormat, parseFormat } from "./format.js";
import type { UnpackedValue } from "./runtime.js";

export type { StructBuffer, UnpackedValue };
export { StructError };

/**
 * A value to pack. Integer codes take a `bigint` or a safe-integer `number` (a boolean counts as
 * 0 or 1, as Python's `bool` is an `int`); `e f d` take a `number` (or a `bigint`); `c s p` take a
 * `Uint8Array` (a `Buffer` is one); `?` packs the JavaScript truthiness of any value.
 *
 * @example
 * ```ts
 * import { pack, type PackValue } from "sockit/struct";
 * const values: PackValue[] = [2n ** 63n, 0.5, Buffer.from("hi"), true];
 * pack(">Qe2s?", ...values); // <Buffer 80 00 00 00 00 00 00 00 38 00 68 69 01>
 * ```
 */
export type PackValue = number | bigint | boolean | Uint8Array;

/**
 * A compiled format, Python's `struct.Struct`: the format is parsed and compiled once into
 * specialised pack and unpack functions, so reuse one `Struct` for many calls.
 *
 * @example
 * ```ts
 * import { Struct } from "sockit/struct";
 * const record = new Struct("<IHd");
 * record.size; // 14
 * const bytes = record.pack(7, 300, 2.5);
 * record.unpack(bytes); // [7, 300, 2.5]
 * ```
 */
export class Struct {
  /** The format string this struct was built from. */
  readonly format: string;
  /** Bytes a packed struct takes (Python's `calcsize`). */
  readonly size: number;
  /**
   * Packs `values` into a new `Buffer` of `size` bytes. (An own property holding the compiled
   * function, so `const { pack } = struct` works unbound.) The format is compiled on the first
   * pack or unpack, so a struct made only for its `size` costs no compilation.
   *
   * @example
   * ```ts
   * new Struct(">hq").pack(-2, 1n << 40n); // <Buffer ff fe 00 00 01 00 00 00 00 00>
   * ```
   */
  readonly pack: (...values: PackValue[]) => Buffer;
  /**
   * Unpacks a buffer of exactly `size` bytes into an array of values. (An own property, like
   * `pack`.)
   *
   * @example
   * ```ts
   * new Struct("<?3s").unpack(Buffer.from([1, 97, 98, 99])); // [true, <Buffer 61 62 63>]
   * ```
   */
  readonly unpack: (buffer: StructBuffer) => UnpackedValue[];
  readonly #parsed: ParsedFormat;
  #codec: Codec | undefined;

  /** Parses `format`; a bad format throws `StructError`. */
  constructor(format: string) {
    this.#parsed = parseFormat(format);
    this.format = format;
    this.size = this.#parsed.size;
    // Stubs that compile on first use and then put the compiled functions in their place.
    this.pack = (...values) => this.#compiled().pack(...values);
    this.unpack = (buffer) => this.#compiled().unpack(buffer);
  }

  #compiled(): Codec {
    if (this.#codec === undefined) {
      const codec = compile(this.#parsed);
      this.#codec = codec;
      const self = this as { pack: Struct["pack"]; unpack: Struct["unpack"] };
      self.pack = codec.pack;
      self.unpack = codec.unpack;
    }
    return this.#codec;
  }

  /**
   * Packs `values` into `buffer` at `offset` (a negative offset counts from the end). The
   * struct's bytes are zeroed first; if a value fails, the values before it stay written, as in
   * CPython.
   *
   * @example
   * ```ts
   * const buffer = new Uint8Array(8);
   * new Struct("<H").packInto(buffer, 2, 0xabcd); // buffer: 00 00 cd ab 00 00 00 00
   * ```
   */
  packInto(buffer: StructBuffer, offset: number | bigint, ...values: PackValue[]): void {
    const count = this.#parsed.itemCount;
    if (values.length !== count || offset === undefined) {
      if (values.length === 0 && offset === undefined) {
        throw new StructError(
          buffer === undefined
            ? "pack_into expected buffer argument"
            : "pack_into expected offset argument",
        );
      }
      if (values.length !== count) {
        throw new StructError(
          `pack_into expected ${count} items for packing (got ${values.length})`,
        );
      }
    }
    const bytes = bytesOf(buffer);
    const start = packIntoStart(this.size, offsetOf(offset), bytes.length);
    bytes.fill(0, start, start + this.size);
    this.#compiled().write(bytes, start, values);
  }

  /**
   * Unpacks `size` bytes of `buffer` starting at `offset` (a negative offset counts from the end);
   * the buffer may be longer.
   *
   * @example
   * ```ts
   * new Struct(">H").unpackFrom(Buffer.from([9, 1, 2, 9]), 1); // [258]
   * ```
   */
  unpackFrom(buffer: StructBuffer, offset: number | bigint = 0): UnpackedValue[] {
    const bytes = bytesOf(buffer);
    const start = unpackFromStart(this.size, offsetOf(offset), bytes.length);
    return this.#compiled().read(bytes, start);
  }

  /**
   * Unpacks consecutive structs from a buffer whose length is a multiple of `size`, lazily. The
   * length is checked at once; the bytes are read as the iteration goes.
   *
   * @example
   * ```ts
   * [...new Struct(">BB").iterUnpack(Buffer.from([1, 2, 3, 4]))]; // [[1, 2], [3, 4]]
   * ```
   */
  iterUnpack(buffer: StructBuffer): IterableIterator<UnpackedValue[]> {
    if (this.size === 0) {
      throw new StructError("cannot iteratively unpack with a struct of length 0");
    }
    const bytes = bytesOf(buffer);
    if (bytes.length % this.size !== 0) {
      throw new StructError(
        `iterative unpacking requires a buffer of a multiple of ${this.size} bytes`,
      );
    }
    return iterate(this.#compiled().read, bytes, this.size, bytes.length / this.size);
  }
}

function* iterate(
  read: ReadFunction,
  bytes: Uint8Array,
  size: number,
  count: number,
): Generator<UnpackedValue[], void, undefined> {
  for (let i = 0; i < count && (i + 1) * size <= bytes.length; i++) yield read(bytes, i * size);
}

// The module functions keep recently used formats compiled, as CPython's struct cache does.
const MAX_CACHED = 100;
const cache = new Map<string, Struct>();

function structFor(format: string): Struct {
  let struct = cache.get(format);
  if (struct === undefined) {
    struct = new Struct(format);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(format, struct);
  }
  return struct;
}

/**
 * Packs `values` by `format` into a new `Buffer`.
 *
 * @example
 * ```ts
 * import { pack } from "sockit/struct";
 * pack("<hH?", -1, 65535, true); // <Buffer ff ff ff ff 01>
 * ```
 */
export function pack(format: string, ...values: PackValue[]): Buffer {
  return structFor(format).pack(...values);
}

/**
 * Unpacks a buffer of exactly `calcsize(format)` bytes.
 *
 * @example
 * ```ts
 * import { unpack } from "sockit/struct";
 * unpack(">Qe", Buffer.from("00000000000000ff3c00", "hex")); // [255n, 1]
 * ```
 */
export function unpack(format: string, buffer: StructBuffer): UnpackedValue[] {
  return structFor(format).unpack(buffer);
}

/**
 * The size in bytes of a struct of this format.
 *
 * @example
 * ```ts
 * import { calcsize } from "sockit/struct";
 * calcsize("@bi"); // 8 on x86-64: three pad bytes align the int
 * calcsize("=bi"); // 5: standard sizes, no alignment
 * ```
 */
export function calcsize(format: string): number {
  return structFor(format).size;
}

/**
 * Packs `values` by `format` into `buffer` at `offset` (negative counts from the end).
 *
 * @example
 * ```ts
 * import { packInto } from "sockit/struct";
 * const frame = Buffer.alloc(6);
 * packInto(">I", frame, 2, 0xdeadbeef); // frame: 00 00 de ad be ef
 * ```
 */
export function packInto(
  format: string,
  buffer: StructBuffer,
  offset: number | bigint,
  ...values: PackValue[]
): void {
  structFor(format).packInto(buffer, offset, ...values);
}

/**
 * Unpacks `calcsize(format)` bytes of `buffer` from `offset` (negative counts from the end).
 *
 * @example
 * ```ts
 * import { unpackFrom } from "sockit/struct";
 * unpackFrom("<H", Uint8Array.of(0, 0, 1, 2), -2); // [513]
 * ```
 */
export function unpackFrom(
  format: string,
  buffer: StructBuffer,
  offset: number | bigint = 0,
): UnpackedValue[] {
  return structFor(format).unpackFrom(buffer, offset);
}

/**
 * Iterates over the consecutive structs of `format` in `buffer`.
 *
 * @example
 * ```ts
 * import { iterUnpack } from "sockit/struct";
 * for (const [x, y] of iterUnpack("<hh", Int16Array.of(1, 2, 3, 4))) console.log(x, y);
 * // 1 2, then 3 4
 * ```
 */
export function iterUnpack(
  format: string,
  buffer: StructBuffer,
): IterableIterator<UnpackedValue[]> {
  return structFor(format).iterUnpack(buffer);
}
