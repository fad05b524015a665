// What each code accepts when packing, per byte order, as CPython 3.11 decides it. CPython packs
// through a different C routine per table (native `np_*`, standard `bp_*`/`lp_*`), and those
// routines differ in ranges and messages. On startup CPython also swaps the native routines into
// the standard table of the host's byte order wherever the sizes agree (except `f`, `d`, `?`), so
// on a little-endian host `<q` says "argument out of range" while `>q` says "int too large to
// convert". This file reproduces that table.
import type { ByteOrder } from "./format.js";
import { type FormatCode, hostLittleEndian, NATIVE, STANDARD } from "./layout.js";

/**
 * Accepted range of an integer field. A value outside [outerMin, outerMax] (the C type CPython
 * converts to first) fails with `outerMessage`; one inside it but outside [min, max] with `message`.
 */
export interface IntegerRule {
  readonly outerMin: bigint;
  readonly outerMax: bigint;
  readonly outerMessage: string;
  readonly min: bigint;
  readonly max: bigint;
  readonly message: string;
  /**
   * Which out-of-range values still get their low bytes written before the error: CPython's
   * `bp_longlong`/`bp_ulonglong` convert with _PyLong_AsByteArray, which fills the field as it
   * goes and only then finds the overflow (visible through `packInto`). "above" is the unsigned
   * case, where negative values fail before anything is written.
   */
  readonly writesOnOverflow: "never" | "above" | "always";
}

/** How a float field handles values too large for it. */
export interface FloatRule {
  /** The letter in "float too large to pack with X format". */
  readonly code: "e" | "f" | "d";
  /** Whether a finite value that rounds to infinity fails (true except native `f`, a C cast). */
  readonly overflowFails: boolean;
}

const OUT_OF_RANGE = "argument out of range";
/** s_pack_internal's message when a routine raised OverflowError for an int argument. */
export const INT_TOO_LARGE = "int too large to convert";

function signedRange(bytes: number): [bigint, bigint] {
  const half = 1n << BigInt(bytes * 8 - 1);
  return [-half, half - 1n];
}

function unsignedRange(bytes: number): [bigint, bigint] {
  return [0n, (1n << BigInt(bytes * 8)) - 1n];
}

function sizeOf(code: FormatCode, table: "native" | "standard"): number {
  const layout = (table === "native" ? NATIVE : STANDARD)[code];
  if (layout === undefined) throw new Error(`no ${table} size for '${code}'`);
  return layout.size;
}

const LONG_SIZE = sizeOf("l", "native");

function rule(
  outer: [bigint, bigint],
  outerMessage: string,
  inner?: [bigint, bigint],
  message?: string,
): IntegerRule {
  const [outerMin, outerMax] = outer;
  const [min, max] = inner ?? outer;
  return {
    outerMin,
    outerMax,
    outerMessage,
    min,
    max,
    message: message ?? outerMessage,
    writesOnOverflow: "never",
  };
}

function rangeMessage(code: string, [min, max]: [bigint, bigint]): string {
  return `'${code}' format requires ${min} <= number <= ${max}`;
}

// The np_* routines of the native table.
function nativeRule(code: FormatCode): IntegerRule {
  const long = signedRange(LONG_SIZE);
  const ulong = unsignedRange(LONG_SIZE);
  switch (code) {
    case "b":
      return rule(long, OUT_OF_RANGE, [-128n, 127n], "byte format requires -128 <= number <= 127");
    case "B":
      return rule(long, OUT_OF_RANGE, [0n, 255n], "ubyte format requires 0 <= number <= 255");
    case "h":
      return rule(
        long,
        OUT_OF_RANGE,
        [-32768n, 32767n],
        "short format requires -32768 <= number <= 32767",
      );
    case "H":
      return rule(long, OUT_OF_RANGE, [0n, 65535n], "ushort format requires 0 <= number <= 65535");
    case "i":
      return LONG_SIZE > 4
        ? rule(long, OUT_OF_RANGE, signedRange(4), rangeMessage("i", signedRange(4)))
        : rule(long, OUT_OF_RANGE);
    case "I":
      return LONG_SIZE > 4
        ? rule(ulong, OUT_OF_RANGE, unsignedRange(4), rangeMessage("I", unsignedRange(4)))
        : rule(ulong, OUT_OF_RANGE);
    case "l":
      return rule(long, OUT_OF_RANGE);
    case "L":
      return rule(ulong, OUT_OF_RANGE);
    case "q":
      return rule(signedRange(8), OUT_OF_RANGE);
    case "Q":
      return rule(unsignedRange(8), OUT_OF_RANGE);
    case "n":
      return rule(signedRange(sizeOf("n", "native")), OUT_OF_RANGE);
    case "N":
      return rule(unsignedRange(sizeOf("N", "native")), OUT_OF_RANGE);
    case "P": {
      // PyLong_AsVoidPtr takes negative values as signed and the others as unsigned.
      const bytes = sizeOf("P", "native");
      return rule([signedRange(bytes)[0], unsignedRange(bytes)[1]], INT_TOO_LARGE);
    }
    default:
      throw new Error(`'${code}' is not an integer code`);
  }
}

// The bp_*/lp_* routines of the standard tables (b and B use the native routines everywhere).
function standardRule(code: FormatCode): IntegerRule {
  const size = sizeOf(code, "standard");
  switch (code) {
    case "b":
    case "B":
      return nativeRule(code);
    case "h":
    case "i":
    case "l": {
      const long = signedRange(LONG_SIZE);
      return size === LONG_SIZE
        ? rule(long, OUT_OF_RANGE)
        : rule(long, OUT_OF_RANGE, signedRange(size), rangeMessage(code, signedRange(size)));
    }
    case "H":
    case "I":
    case "L": {
      const ulong = unsignedRange(LONG_SIZE);
      return size === LONG_SIZE
        ? rule(ulong, OUT_OF_RANGE)
        : rule(ulong, OUT_OF_RANGE, unsignedRange(size), rangeMessage(code, unsignedRange(size)));
    }
    case "q":
      return { ...rule(signedRange(8), INT_TOO_LARGE), writesOnOverflow: "always" };
    case "Q":
      return { ...rule(unsignedRange(8), INT_TOO_LARGE), writesOnOverflow: "above" };
    default:
      throw new Error(`'${code}' is not a standard integer code`);
  }
}

/** Whether CPython packs `code` in this byte order with its native routine (see the top). */
function usesNativeRoutine(order: ByteOrder, code: FormatCode): boolean {
  if (order === "native") return true;
  if (order !== (hostLittleEndian ? "little" : "big")) return false;
  if (code === "f" || code === "d" || code === "?") return false;
  return NATIVE[code]?.size === STANDARD[code]?.size;
}

export function integerRule(order: ByteOrder, code: FormatCode): IntegerRule {
  return usesNativeRoutine(order, code) ? nativeRule(code) : standardRule(code);
}

export function floatRule(order: ByteOrder, code: "e" | "f" | "d"): FloatRule {
  // np_float is a plain C cast (a huge value becomes infinity); PyFloat_Pack4/Pack2 raise.
  const overflowFails = code === "e" || (code === "f" && order !== "native");
  return { code, overflowFails };
}

/** Whether a code's values are bigints: q Q n N P always, l and L where they are 8 bytes. */
export function isBigIntCode(order: ByteOrder, code: FormatCode): boolean {
  if (code === "q" || code === "Q" || code === "n" || code === "N" || code === "P") return true;
  if (code === "l" || code === "L")
    return (order === "native" ? NATIVE : STANDARD)[code]?.size === 8;
  return false;
}

/** Whether an integer code is signed when unpacked (P is unsigned, as PyLong_FromVoidPtr). */
export function isSignedCode(code: FormatCode): boolean {
  return (
    code === "b" || code === "h" || code === "i" || code === "l" || code === "q" || code === "n"
  );
}
