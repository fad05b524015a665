// The format string parser: CPython's `prepare_s`, with its error messages and its order of checks.
import { StructError } from "./error.js";
import { type FormatCode, hostLittleEndian, type LayoutTable, NATIVE, STANDARD } from "./layout.js";

/** `native` is `@` (or no prefix): native sizes and alignment; the others have standard sizes. */
export type ByteOrder = "native" | "little" | "big";

/** One code of the format with its repeat count, as CPython's `formatcode`. */
export interface Field {
  readonly code: FormatCode;
  /** Byte offset of the first item from the start of the struct. */
  readonly offset: number;
  /** Repeat count; for `s` and `p` the length in bytes of the one string, for `x` pad bytes. */
  readonly count: number;
  /** Bytes per item (for `s`, `p` and `x` the whole field is `count` bytes). */
  readonly size: number;
}

export interface ParsedFormat {
  readonly order: ByteOrder;
  /** Bytes the whole struct takes (`calcsize`). */
  readonly size: number;
  /** How many values `pack` takes and `unpack` returns. */
  readonly itemCount: number;
  /** Codes in format order, including `x` pads; codes repeated 0 times are left out except `s`/`p`. */
  readonly fields: readonly Field[];
}

// CPython counts in Py_ssize_t (2^63 - 1); sizes here must stay exact JavaScript numbers.
const MAX_SIZE = Number.MAX_SAFE_INTEGER;

function tooLong(): StructError {
  return new StructError("total struct size too long");
}

function isSpace(c: number): boolean {
  // Py_ISSPACE: space, \t, \n, \v, \f, \r
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function byteOrderOf(first: string | undefined): { order: ByteOrder; skip: number } {
  switch (first) {
    case "<":
      return { order: "little", skip: 1 };
    case ">":
    case "!":
      return { order: "big", skip: 1 };
    case "=":
      return { order: hostLittleEndian ? "little" : "big", skip: 1 };
    case "@":
      return { order: "native", skip: 1 };
    default:
      return { order: "native", skip: 0 };
  }
}

/** Parses a struct format as CPython does, or throws the StructError CPython raises for it. */
export function parseFormat(format: string): ParsedFormat {
  if (typeof format !== "string") {
    throw new TypeError(`struct format must be a string, not ${typeof format}`);
  }
  for (let i = 0; i < format.length; i++) {
    // CPython encodes the format as ASCII first (a UnicodeEncodeError there).
    if (format.charCodeAt(i) > 0x7f) throw new StructError("bad char in struct format");
  }
  if (format.includes("\0")) throw new StructError("embedded null character");

  const { order, skip } = byteOrderOf(format[0]);
  const table: LayoutTable = order === "native" ? NATIVE : STANDARD;
  const fields: Field[] = [];
  let size = 0;
  let itemCount = 0;
  let i = skip;
  while (i < format.length) {
    let c = format.charCodeAt(i++);
    if (isSpace(c)) continue;
    let count = 1;
    if (isDigit(c)) {
      count = c - 0x30;
      for (;;) {
        c = i < format.length ? format.charCodeAt(i++) : 0;
        if (!isDigit(c)) break;
        count = count * 10 + (c - 0x30);
        if (count > MAX_SIZE) throw tooLong();
      }
      if (c === 0) throw new StructError("repeat count given without format specifier");
    }
    const code = String.fromCharCode(c) as FormatCode;
    const layout = table[code];
    if (layout === undefined) throw new StructError("bad char in struct format");

    if (layout.align > 1) size = Math.ceil(size / layout.align) * layout.align;
    if (size > MAX_SIZE) throw tooLong();
    if (count > (MAX_SIZE - size) / layout.size) throw tooLong();

    if (code === "s" || code === "p") {
      fields.push({ code, offset: size, count, size: 1 });
      itemCount += 1;
    } else if (count > 0) {
      fields.push({ code, offset: size, count, size: layout.size });
      if (code !== "x") itemCount += count;
    }
    size += count * layout.size;
  }
  return { order, size, itemCount, fields };
}
