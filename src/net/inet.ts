/**
 * Address conversions and byte-order helpers: Python's `inet_aton`, `inet_ntoa`, `inet_pton`,
 * `inet_ntop`, `htons`, `htonl`, `ntohs`, `ntohl`. Pure functions, no I/O.
 *
 * @module
 */

import { isIPv6 } from "node:net";
import { endianness } from "node:os";
import { AF_INET, AF_INET6 } from "../core/constants.js";
import { SocketError } from "../core/errors.js";
import { typeName } from "./address.js";

function illegal(op: string, text: string): SocketError {
  return new SocketError("EINVAL", { op }, `illegal IP address string passed to ${text}`);
}

function checkString(value: unknown, op: string): string {
  if (typeof value !== "string")
    throw new TypeError(`${op}(): expected a string, got ${typeName(value)}`);
  return value;
}

function checkFamily(value: unknown, op: string): void {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${op}(): family must be an integer, got ${typeName(value)}`);
  }
}

function checkBytes(value: unknown, op: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${op}(): expected a Uint8Array, got ${typeName(value)}`);
  }
  return value;
}

/** One inet_aton number as C's `strtoul(…, 0)` reads it: `0x` hex, `0` octal or decimal. */
const ATON_PART = /^(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/;
/** Where glibc's inet_aton stops: the end, or any C `isspace` character (the rest is ignored). */
const ATON_END = /^(?:$|[ \t\n\v\f\r])/;
/** Largest last part for 1, 2, 3 or 4 parts (`a`, `a.b`, `a.b.c`, `a.b.c.d`). */
const ATON_MAX = [0xffffffff, 0xffffff, 0xffff, 0xff];

/**
 * Whether `text` is an IPv4 address in plain dotted-decimal form: four numbers 0-255 without
 * leading zeros (`"127.0.0.1"`, not `"127.1"` or `"010.0.0.1"`). inet_aton reads such text as
 * written, so it is its own normal form. Internal: not exported from the package.
 */
export function isDottedQuad(text: string): boolean {
  if (text.length < 7 || text.length > 15) return false;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (digits === 0 || value > 255) return false;
      parts++;
      value = 0;
      digits = 0;
    } else if (c >= ZERO && c <= ZERO + 9) {
      if (digits === 1 && value === 0) return false; // a leading zero: octal to inet_aton
      value = value * 10 + (c - ZERO);
      digits++;
    } else return false;
  }
  return parts === 4;
}

const DOT = 0x2e;
const ZERO = 0x30;

/**
 * The 32-bit value of `text` as glibc's inet_aton reads it, or `undefined` if it is illegal.
 * Unless `exact` (getaddrinfo's numeric-host check), text after a whitespace character is ignored.
 * Internal: not exported from the package.
 */
export function parseInetAton(text: string, { exact = false } = {}): number | undefined {
  const head: number[] = [];
  let rest = text;
  for (;;) {
    const match = ATON_PART.exec(rest);
    if (match === null) return undefined;
    const digits = match[0];
    const value =
      digits.length > 1 && (digits[1] === "x" || digits[1] === "X")
        ? Number.parseInt(digits.slice(2), 16)
        : Number.parseInt(digits, digits.startsWith("0") ? 8 : 10);
    rest = rest.slice(digits.length);
    if (!rest.startsWith(".")) {
      if (exact ? rest !== "" : !ATON_END.test(rest)) return undefined;
      if (value > ATON_MAX[head.length]!) return undefined;
      return head.reduce((sum, part, i) => sum + part * 2 ** (8 * (3 - i)), value);
    }
    if (head.length > 2 || value > 0xff) return undefined;
    head.push(value);
    rest = rest.slice(1);
  }
}

/**
 * IPv4 text to 4 packed bytes, accepting everything C's `inet_aton` does (`"127.1"`, `"0x7f.1"`,
 * and, as glibc, anything after a whitespace character: `"1.2.3.4 junk"`).
 *
 * @example
 * ```ts
 * inetAton("127.0.0.1"); // <Buffer 7f 00 00 01>
 * ```
 */
export function inetAton(text: string): Buffer {
  const value = parseInetAton(checkString(text, "inetAton"));
  if (value === undefined) throw illegal("inetAton", "inet_aton");
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

/**
 * 4 packed bytes to dotted IPv4 text.
 *
 * @example
 * ```ts
 * inetNtoa(Buffer.from([10, 0, 0, 1])); // "10.0.0.1"
 * ```
 */
export function inetNtoa(packed: Uint8Array): string {
  const bytes = checkBytes(packed, "inetNtoa");
  if (bytes.length !== 4) throw new RangeError("inetNtoa(): packed IP wrong length for inet_ntoa");
  return Array.from(bytes).join(".");
}

function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : 256));
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function ipv6Bytes(text: string): number[] | undefined {
  if (!isIPv6(text) || text.includes("%")) return undefined;
  let body = text;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    // An embedded IPv4 tail is the last two groups.
    const v4 = ipv4Bytes(tail);
    if (v4 === undefined) return undefined;
    const hi = ((v4[0]! << 8) | v4[1]!).toString(16);
    const lo = ((v4[2]! << 8) | v4[3]!).toString(16);
    body = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const groups = (s: string): number[] =>
    s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16));
  const [left = "", right] = body.split("::");
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const zeros = right === undefined ? 0 : 8 - l.length - r.length;
  const words = [...l, ...new Array<number>(zeros).fill(0), ...r];
  return words.length === 8 ? words.flatMap((w) => [w >> 8, w & 0xff]) : undefined;
}

/**
 * Text address of `family` (AF_INET or AF_INET6) to packed bytes (4 or 16).
 *
 * @example
 * ```ts
 * inetPton(AF_INET6, "::1").length; // 16
 * ```
 */
export function inetPton(family: number, text: string): Buffer {
  checkFamily(family, "inetPton");
  checkString(text, "inetPton");
  if (family === AF_INET) {
    const bytes = ipv4Bytes(text);
    if (bytes === undefined) throw illegal("inetPton", "inet_pton");
    return Buffer.from(bytes);
  }
  if (family === AF_INET6) {
    const bytes = ipv6Bytes(text);
    if (bytes === undefined) throw illegal("inetPton", "inet_pton");
    return Buffer.from(bytes);
  }
  throw new SocketError("EAFNOSUPPORT", { op: "inetPton" });
}

/**
 * Packed bytes (4 or 16) of `family` to text, IPv6 in RFC 5952 form as glibc prints it.
 *
 * @example
 * ```ts
 * inetNtop(AF_INET, Buffer.from([127, 0, 0, 1])); // "127.0.0.1"
 * ```
 */
export function inetNtop(family: number, packed: Uint8Array): string {
  checkFamily(family, "inetNtop");
  const bytes = checkBytes(packed, "inetNtop");
  if (family === AF_INET) {
    if (bytes.length !== 4)
      throw new RangeError("inetNtop(): invalid length of packed IP address string");
    return Array.from(bytes).join(".");
  }
  // CPython raises ValueError here (but OSError EAFNOSUPPORT in inet_pton).
  if (family !== AF_INET6) throw new RangeError(`inetNtop(): unknown address family ${family}`);
  if (bytes.length !== 16)
    throw new RangeError("inetNtop(): invalid length of packed IP address string");
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // IPv4-mapped and IPv4-compatible forms keep the dotted tail, as glibc prints them.
  const v4 = Array.from(bytes.subarray(12)).join(".");
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${v4}`;
  // IPv4-compatible only when the zero run is exactly 6 words long (else `::1`, `::2`…).
  if (words.slice(0, 6).every((w) => w === 0) && words[6]! !== 0) return `::${v4}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function checkInt(value: unknown, bits: 16 | 32, op: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${op}(): expected an integer, got ${typeName(value)}`);
  }
  if (value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${op}(): value must be 0-${2 ** bits - 1}, got ${value}`);
  }
  return value;
}

const BIG_ENDIAN = endianness() === "BE";
const swap16 = (x: number): number => (BIG_ENDIAN ? x : ((x & 0xff) << 8) | (x >>> 8));
const swap32 = (x: number): number =>
  BIG_ENDIAN
    ? x
    : (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/** Host to network byte order, 16 bits (a swap on little-endian hosts). */
export function htons(x: number): number {
  return swap16(checkInt(x, 16, "htons"));
}
/** Network to host byte order, 16 bits. */
export function ntohs(x: number): number {
  return swap16(checkInt(x, 16, "ntohs"));
}
/** Host to network byte order, 32 bits. */
export function htonl(x: number): number {
  return swap32(checkInt(x, 32, "htonl"));
}
/** Network to host byte order, 32 bits. */
export function ntohl(x: number): number {
  return swap32(checkInt(x, 32, "ntohl"));
}
