// What the compiled pack/unpack functions call: the slow paths (conversions and the errors CPython
// raises) and a shared scratch area for moving floats and 64-bit integers to and from bytes.
import { Buffer } from "node:buffer";
import { SCRATCH_SLOTS } from "./emit-common.js";
import { StructError } from "./error.js";
import { fromFloat16Bits, toFloat16Bits } from "./float16.js";
import { INT_TOO_LARGE, type IntegerRule } from "./rules.js";

/**
 * A value `unpack` returns: a `bigint` for `q Q n N P` (and `l L` where they are 8 bytes), a
 * `boolean` for `?`, a new `Buffer` for `c s p`, and a `number` for the other codes.
 *
 * @example
 * ```ts
 * import { pack, unpack, type UnpackedValue } from "sockit/struct";
 * const [id, ok, name]: UnpackedValue[] = unpack("<q?3s", pack("<q?3s", 1n, true, Buffer.from("abc")));
 * ```
 */
export type UnpackedValue = number | bigint | boolean | Buffer;

const scratch = new ArrayBuffer(SCRATCH_SLOTS * 8);

/** Scratch views over the same bytes, in host byte order; slot `k` is bytes 8k to 8k + 7. */
export const SCRATCH = {
  bytes: new Uint8Array(scratch),
  f32: new Float32Array(scratch),
  f64: new Float64Array(scratch),
  i64: new BigInt64Array(scratch),
  u64: new BigUint64Array(scratch),
};

const typedArrayTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  Symbol.toStringTag,
)?.get;

/** `instanceof Uint8Array`, also true for one from another realm (a vm context, a worker's). */
export function isUint8Array(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) && typedArrayTag?.call(value) === "Uint8Array")
  );
}

function notAnInteger(): StructError {
  return new StructError("required argument is not an integer");
}

/**
 * A pack argument as a Python int: a bigint, a safe-integer number, or a boolean (Python's bool
 * is an int). Any other number is what Python calls a float, which integer codes refuse.
 */
function integerOf(value: unknown): number | bigint {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value)) return value;
    throw notAnInteger();
  }
  if (typeof value === "bigint") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  throw notAnInteger();
}

function checkRange(x: number | bigint, rule: IntegerRule): void {
  // Comparing a number with a bigint is exact in JavaScript.
  if (x < rule.outerMin || x > rule.outerMax) throw new StructError(rule.outerMessage);
  if (x < rule.min || x > rule.max) throw new StructError(rule.message);
}

/** Slow path of the number-valued integer codes: the value as a number, or CPython's error. */
export function toSmallInteger(value: unknown, rule: IntegerRule): number {
  const x = integerOf(value);
  checkRange(x, rule);
  return Number(x);
}

/**
 * Slow path of the bigint-valued integer codes: the value as a bigint, or CPython's error. For the
 * rules that do (see IntegerRule.writesOnOverflow), an out-of-range value first has its low 8
 * bytes written at `target[at...]` in the field's byte order.
 */
export function toBigInteger(
  value: unknown,
  rule: IntegerRule,
  target: Uint8Array,
  at: number,
  little: boolean,
): bigint {
  const x = BigInt(integerOf(value));
  const writes =
    rule.writesOnOverflow === "always" || (rule.writesOnOverflow === "above" && x > rule.outerMax);
  if (writes && (x < rule.outerMin || x > rule.outerMax)) {
    let bits = BigInt.asUintN(64, x);
    for (let s = 0; s < 8; s++, bits >>= 8n)
      target[at + (little ? s : 7 - s)] = Number(bits & 0xffn);
  }
  checkRange(x, rule);
  return x;
}

/** PyFloat_AsDouble for the float codes: numbers, bigints (exactly rounded) and booleans. */
export function toFloat(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") {
    const x = Number(value);
    // Python raises OverflowError for an int too large for a float; struct reports it so.
    if (x - x !== 0) throw new StructError("required argument is not a float");
    return x;
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  throw new StructError("required argument is not a float");
}

/** A finite value rounded to infinity: OverflowError for a float, struct.error for an int. */
export function floatOverflow(value: unknown, code: string): never {
  throw new StructError(
    typeof value === "number" ? `float too large to pack with ${code} format` : INT_TOO_LARGE,
  );
}

/** The half-precision bits of a float argument, or CPython's overflow error. */
export function toHalf(value: number, original: unknown): number {
  const bits = toFloat16Bits(value);
  if (bits < 0) floatOverflow(original, "e");
  return bits;
}

export function charArgument(value: unknown): Uint8Array {
  if (isUint8Array(value) && value.length === 1) return value;
  throw new StructError("char format requires a bytes object of length 1");
}

export function bytesArgument(value: unknown, code: "s" | "p"): Uint8Array {
  if (isUint8Array(value)) return value;
  throw new StructError(`argument for '${code}' must be a bytes object`);
}

type BufferClass = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

/**
 * Node's own Buffer class (`FastBuffer`, what `Buffer.allocUnsafe` instantiates), as Node exposes
 * it through `Buffer[Symbol.species]`; undefined where that is not so.
 */
function nodeBufferClass(): BufferClass | undefined {
  const species: unknown = Reflect.get(Buffer, Symbol.species);
  if (typeof species !== "function" || species === Buffer) return undefined;
  if (species.prototype !== Buffer.prototype) return undefined;
  try {
    const probe: unknown = Reflect.construct(species, [new ArrayBuffer(8), 0, 8]);
    return Buffer.isBuffer(probe) && probe.length === 8 ? (species as BufferClass) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Bytes per pool that new Buffers are cut from. Node's own pool is 8 KiB; each fresh pool is an
 * ArrayBuffer to allocate, track and free, a cost a small result pays eight times as often at
 * 8 KiB (bench/struct.ts measures it). The price: as with Node's pool, one live result keeps its
 * whole pool alive.
 */
const POOL_SIZE = 64 * 1024;

/** `Buffer.allocUnsafe` with a pool of its own and without the argument checks. */
function pooled(FastBuffer: BufferClass): (length: number) => Buffer {
  let pool: ArrayBufferLike = new ArrayBuffer(0);
  // Where the next Buffer starts in `pool`, 8-byte aligned; POOL_SIZE when there is no pool yet.
  let used = POOL_SIZE;
  // The rare cases, out of the way of the fast path so that it stays small enough to inline.
  const slow = (length: number): Buffer => {
    if (length === 0) return Buffer.alloc(0);
    if (length > POOL_SIZE >>> 2) return Buffer.allocUnsafe(length);
    pool = Buffer.allocUnsafeSlow(POOL_SIZE).buffer;
    used = (length + 7) & ~7;
    return new FastBuffer(pool, 0, length);
  };
  return (length) => {
    const at = used;
    if (length === 0 || at + length > POOL_SIZE) return slow(length);
    used = (at + length + 7) & ~7;
    return new FastBuffer(pool, at, length);
  };
}

const FastBuffer = nodeBufferClass();

/**
 * An uninitialised Buffer of `length` bytes, like `Buffer.allocUnsafe(length)`: small ones are
 * 8-byte aligned slices of a shared pool of uninitialised memory, as Node's are.
 */
export const newBuffer: (length: number) => Buffer =
  FastBuffer === undefined ? (length) => Buffer.allocUnsafe(length) : pooled(FastBuffer);

/** A copy of bytes [start, end) of `source`, as a Buffer (Python returns new bytes). */
export function copyBytes(source: Uint8Array, start: number, end: number): Buffer {
  const length = end - start;
  const out = newBuffer(length);
  if (length <= 16) {
    for (let i = 0; i < length; i++) out[i] = source[start + i] as number;
  } else if (start === 0 && length === source.length) {
    out.set(source);
  } else {
    // A plain Uint8Array view is cheaper to make than Buffer#subarray.
    out.set(new Uint8Array(source.buffer, source.byteOffset + start, length));
  }
  return out;
}

export function packCountError(expected: number, got: number): never {
  throw new StructError(`pack expected ${expected} items for packing (got ${got})`);
}

export function unpackSizeError(size: number): never {
  throw new StructError(`unpack requires a buffer of ${size} bytes`);
}

/** Unpacks a Pascal string of `count` bytes at `at`: the length byte, capped at count - 1. */
export function pascalString(source: Uint8Array, at: number, count: number): Buffer {
  // CPython 3.11 computes a length of -1 for `0p` and fails in PyBytes_FromStringAndSize.
  if (count === 0) throw new StructError("Negative size passed to PyBytes_FromStringAndSize");
  const length = Math.min(source[at] as number, count - 1);
  return copyBytes(source, at + 1, at + 1 + length);
}

export const halfToNumber = fromFloat16Bits;
