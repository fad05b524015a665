/**
 * Argument checks shared by every module. A bad argument is a `TypeError` (wrong type) or a
 * `RangeError` (right type, value out of range) whose message names the call and the parameter,
 * shows what was given and says what is allowed. Showing a value never throws, whatever it is
 * (a Symbol, a null-prototype object, a huge string).
 *
 * This module imports nothing, so `sockit/struct` can use it without loading networking code.
 */

/** The type of `value` for messages: `null`, `undefined`, `typeof` for primitives, else the
 * constructor's name (`Array`, `Uint8Array`, `Object`), or `object` without a prototype. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object" && typeof value !== "function") return typeof value;
  let name: unknown;
  try {
    name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  } catch {
    // a getter or a Proxy that throws: the message still gets written
  }
  return typeof name === "string" && name !== "" ? name : typeof value;
}

/** A short, safe rendering of `value` for messages: its type, and its value when primitive. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case "number":
      return `number ${String(value)}`;
    case "bigint":
      return `bigint ${String(value)}n`;
    case "boolean":
      return `boolean ${String(value)}`;
    case "symbol":
      return value.toString();
    case "undefined":
      return "undefined";
    default:
      return typeName(value);
  }
}

/**
 * A socket timeout in seconds: `null` (blocking) or a finite number >= 0 (0 is non-blocking).
 * Python's `settimeout` rules. (Selectors take another rule, see {@link checkSelectTimeout}.)
 */
export function checkTimeout(value: unknown, where: string): number | null {
  if (value === null) return null;
  if (typeof value !== "number") {
    throw new TypeError(`${where} must be a number of seconds or null, got ${describe(value)}`);
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${where} must be a finite number of seconds >= 0 or null, got ${value}`);
  }
  return value;
}

/**
 * A `select` timeout in seconds, Python's `selectors` rules, which differ from a socket's on
 * purpose: `null`/`undefined` (or `Infinity`) waits for ever, and any value <= 0 only polls
 * (returned as 0) instead of being an error. NaN is a RangeError.
 */
export function checkSelectTimeout(value: unknown, where: string): number | null {
  if (value === undefined || value === null || value === Number.POSITIVE_INFINITY) return null;
  if (typeof value !== "number") {
    throw new TypeError(`${where} must be a number of seconds or null, got ${describe(value)}`);
  }
  if (Number.isNaN(value)) throw new RangeError(`${where} must not be NaN`);
  return value <= 0 ? 0 : value;
}

/** Whether `value` is a count of bytes: an integer from 0 to 2**31 - 1. */
export function isSize(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_SIZE;
}

/** A count of bytes: an integer from 0 to 2**31 - 1. */
export function checkSize(value: unknown, where: string): number {
  if (isSize(value)) return value;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${where} must be an integer number of bytes, got ${describe(value)}`);
  }
  throw new RangeError(`${where} must be 0-${MAX_SIZE} bytes, got ${value}`);
}

/** Largest byte count a call takes (what a 32-bit `int` holds, as in CPython's C calls). */
export const MAX_SIZE = 2 ** 31 - 1;

/** Data to send: a `Uint8Array` as it is, a string as UTF-8. */
export function toBytes(data: unknown, where: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return Buffer.from(data, "utf8");
  throw new TypeError(`${where} must be a Uint8Array or a string, got ${describe(data)}`);
}

/** An options object: `undefined`, or a plain object (not null, an array or a primitive). */
export function checkOptions<T extends object>(value: unknown, where: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${where} must be an options object, got ${describe(value)}`);
  }
  return value as T;
}

/** An optional boolean option: `fallback` when `undefined`; anything but a boolean is a TypeError. */
export function checkBoolean(value: unknown, where: string, fallback = false): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`${where} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** An `AbortSignal` or `undefined`. */
export function checkSignal(value: unknown, where: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new TypeError(`${where} must be an AbortSignal, got ${describe(value)}`);
  }
  return value;
}
