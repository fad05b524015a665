/**
 * The text encodings of file objects: UTF-8, ASCII and Latin-1, by any of Python's names for
 * them, with Python's `"strict"` and `"replace"` error handlers.
 *
 * All three are ASCII-compatible, which the readers rely on: the bytes of `"\n"` and `"\r"`
 * never occur inside another character, so lines are found in the received bytes before
 * anything is decoded, and a call consumes only whole characters.
 *
 * @module
 */

import { TextDecoder } from "node:util";
import { describe } from "../core/checks.js";
import type { RecvBuffer } from "../socket/recv-buffer.js";
import { UnicodeDecodeError, UnicodeEncodeError } from "./errors.js";

/** What a file does with bytes or characters its encoding cannot handle. */
export type ErrorHandler = "strict" | "replace";

/** An encoding of text files. */
export interface Codec {
  /** Python's name for it. */
  readonly name: "utf-8" | "ascii" | "latin-1";
  /** Most bytes one character takes. */
  readonly maxBytes: number;
  /** Bytes `[start, end)` of `rx` as text, without consuming them. */
  decode(rx: RecvBuffer, start: number, end: number, errors: ErrorHandler, op: string): string;
  /** `text` as bytes. */
  encode(text: string, errors: ErrorHandler, op: string): Buffer;
  /** Bytes the code point `cp` takes. */
  size(cp: number): number;
}

const REPLACEMENT = "\uFFFD";
const LONE_SURROGATE = /\p{Surrogate}/u;
const LONE_SURROGATES = /\p{Surrogate}/gu;
const NON_ASCII = /[\u0080-\u{10ffff}]/u;
const NON_ASCII_ALL = /[\u0080-\u{10ffff}]/gu;
const NON_LATIN1 = /[\u0100-\u{10ffff}]/u;
const NON_LATIN1_ALL = /[\u0100-\u{10ffff}]/gu;
const HIGH_BYTES = /[\x80-\xff]/;
const HIGH_BYTES_ALL = /[\x80-\xff]/g;

let fatalUtf8: TextDecoder | undefined;

const UTF8: Codec = {
  name: "utf-8",
  maxBytes: 4,
  decode(rx, start, end, errors, op) {
    const text = rx.decode("utf8", start, end);
    // Invalid bytes decode to U+FFFD; only then is it worth asking whether they were invalid.
    if (errors === "strict" && text.includes(REPLACEMENT)) {
      const bytes = Buffer.allocUnsafe(end - start);
      let at = 0;
      rx.segments(start, end, (chunk, from, to) => {
        bytes.set(chunk.subarray(from, to), at);
        at += to - from;
      });
      fatalUtf8 ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      try {
        fatalUtf8.decode(bytes);
      } catch {
        throw new UnicodeDecodeError("utf-8", op);
      }
    }
    return text;
  },
  encode(text, errors, op) {
    if (LONE_SURROGATE.test(text)) {
      if (errors === "strict") throw new UnicodeEncodeError("utf-8", op);
      text = text.replace(LONE_SURROGATES, "?");
    }
    return Buffer.from(text, "utf8");
  },
  size: (cp) => (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4),
};

/** A single-byte encoding: ASCII or Latin-1. */
function singleByte(name: "ascii" | "latin-1"): Codec {
  const ascii = name === "ascii";
  const unencodable = ascii ? NON_ASCII : NON_LATIN1;
  const unencodableAll = ascii ? NON_ASCII_ALL : NON_LATIN1_ALL;
  return {
    name,
    maxBytes: 1,
    decode(rx, start, end, errors, op) {
      const text = rx.decode("latin1", start, end);
      if (!ascii || !HIGH_BYTES.test(text)) return text;
      if (errors === "strict") throw new UnicodeDecodeError(name, op);
      return text.replace(HIGH_BYTES_ALL, REPLACEMENT);
    },
    encode(text, errors, op) {
      if (unencodable.test(text)) {
        if (errors === "strict") throw new UnicodeEncodeError(name, op);
        text = text.replace(unencodableAll, "?");
      }
      return Buffer.from(text, "latin1");
    },
    size: () => 1,
  };
}

const ASCII = singleByte("ascii");
const LATIN1 = singleByte("latin-1");

/** Python's aliases (after its normalisation) of the encodings sockit has. */
const ALIASES: Readonly<Record<string, Codec>> = {
  utf_8: UTF8,
  utf8: UTF8,
  u8: UTF8,
  utf: UTF8,
  cp65001: UTF8,
  utf8_ucs2: UTF8,
  utf8_ucs4: UTF8,
  ascii: ASCII,
  us_ascii: ASCII,
  us: ASCII,
  "646": ASCII,
  ansi_x3_4_1968: ASCII,
  ansi_x3_4_1986: ASCII,
  "ansi_x3.4_1968": ASCII,
  cp367: ASCII,
  csascii: ASCII,
  ibm367: ASCII,
  iso646_us: ASCII,
  "iso_646.irv_1991": ASCII,
  iso_ir_6: ASCII,
  latin_1: LATIN1,
  latin1: LATIN1,
  latin: LATIN1,
  l1: LATIN1,
  iso8859_1: LATIN1,
  iso_8859_1: LATIN1,
  iso_8859_1_1987: LATIN1,
  "8859": LATIN1,
  cp819: LATIN1,
  csisolatin1: LATIN1,
  ibm819: LATIN1,
  iso_ir_100: LATIN1,
};

/**
 * The codec for an encoding name, looked up as Python does (case-insensitive; runs of
 * punctuation and spaces count as one `_`): `"UTF-8"`, `"utf8"`, `"latin-1"`, `"ISO-8859-1"`,
 * `"ascii"`… Any other name is a RangeError that lists what is supported.
 */
export function codecFor(encoding: unknown, where: string): Codec {
  if (typeof encoding !== "string") {
    throw new TypeError(`${where} must be a string such as "utf-8", got ${describe(encoding)}`);
  }
  const key = encoding
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const codec = ALIASES[key];
  if (codec === undefined) {
    throw new RangeError(
      `${where} ${JSON.stringify(encoding)} is not supported: use "utf-8", "ascii" or "latin-1" (or a binary file, mode "rb")`,
    );
  }
  return codec;
}

/** Python's `errors` argument: `"strict"` (the default) or `"replace"`. */
export function errorHandler(value: unknown, where: string): ErrorHandler {
  if (value === undefined || value === null || value === "strict") return "strict";
  if (value === "replace") return "replace";
  if (typeof value !== "string") {
    throw new TypeError(`${where} must be "strict" or "replace", got ${describe(value)}`);
  }
  throw new RangeError(`${where} must be "strict" or "replace", got ${JSON.stringify(value)}`);
}

/** Characters in `text` as Python counts them (code points: an emoji is one). */
export function countChars(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        n--;
        i++;
      }
    }
  }
  return n;
}
