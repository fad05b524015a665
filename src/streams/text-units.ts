/**
 * How a text file reads: characters of its codec (code points, as Python counts them), lines
 * ending by its newline rule, found in the received bytes before anything is decoded (see
 * units.ts). Checked against CPython's TextIOWrapper by test/file-text.test.ts.
 *
 * @module
 */

import * as nodeBuffer from "node:buffer";
import type { RecvBuffer } from "../socket/recv-buffer.js";
import { type Codec, countChars, type ErrorHandler } from "./codec.js";
import type { Newline } from "./file-options.js";
import { CR, CR_BYTES, CRLF_BYTES, LF, LF_BYTES, Search, type Units } from "./units.js";

/** Characters of a codec, with lines ending by a newline rule. */
export class TextUnits implements Units<string> {
  readonly empty = "";
  readonly maxBytes: number;
  readonly #codec: Codec;
  readonly #errors: ErrorHandler;
  /** `"lf"`, `"cr"`, `"crlf"`, or `"any"` (universal newlines: all three). */
  readonly #ends: "lf" | "cr" | "crlf" | "any";
  /** Universal newlines read as `"\n"` (Python's `newline=None`). */
  readonly #translate: boolean;
  readonly #lf = new Search(LF_BYTES);
  readonly #cr = new Search(CR_BYTES);
  readonly #crlf = new Search(CRLF_BYTES);
  /**
   * The first chunk of the receive buffer decoded once, when each of its bytes is one
   * character (any Latin-1 text, ASCII text in the other encodings): lines are then substrings
   * of it, with no decoding per line. `#base` is the absolute position (`rx.consumed` based) of
   * its first character; bytes never change once received, so it stays right while other
   * readers consume.
   */
  #text = "";
  #base = 0;
  /** No window can be made below this absolute position (that chunk was not one byte per character). */
  #noWindowBefore = 0;
  /** Index in `#text` of its first `"\r"` at or after `#crFrom` (`#text.length`: none). */
  #crAt = 0;
  #crFrom = 0;

  constructor(codec: Codec, errors: ErrorHandler, newline: Newline) {
    this.#codec = codec;
    this.#errors = errors;
    this.maxBytes = codec.maxBytes;
    this.#translate = newline === null;
    this.#ends =
      newline === null || newline === ""
        ? "any"
        : newline === "\n"
          ? "lf"
          : newline === "\r"
            ? "cr"
            : "crlf";
  }

  lineEnd(rx: RecvBuffer, from: number, limit: number, eof: boolean): number {
    const end = this.#windowLineEnd(rx, from, eof) ?? this.#fastLineEnd(rx, from, eof);
    // A character takes at least a byte: a line of at most `limit` bytes is within the limit,
    // and a buffer with fewer than `limit` bytes holds fewer than `limit` characters.
    if (limit < 0 || (end >= 0 && end - from <= limit) || (end < 0 && rx.length - from < limit)) {
      return end;
    }
    return this.#scan(rx, from, limit, eof, true);
  }

  unitsEnd(rx: RecvBuffer, from: number, n: number, eof: boolean): number {
    if (this.#codec.maxBytes === 1 && this.#ends !== "any") {
      if (rx.length - from >= n) return from + n;
      return eof ? rx.length : -1;
    }
    return this.#scan(rx, from, n, eof, false);
  }

  peek(rx: RecvBuffer, start: number, end: number, op: string): string {
    const text = this.#codec.decode(rx, start, end, this.#errors, op);
    return this.#translate && text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
  }

  take(rx: RecvBuffer, n: number, op: string): string {
    const at = rx.consumed - this.#base;
    let text: string;
    if (at >= 0 && at + n <= this.#text.length) {
      text = this.#text.slice(at, at + n);
      if (this.#translate && text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
    } else {
      text = this.peek(rx, 0, n, op);
    }
    rx.discard(n);
    return text;
  }

  quickLine(rx: RecvBuffer): string | undefined {
    // #windowLineEnd and takeLine in one, for `readline()`'s common case: the line and its "\n"
    // in the window, no "\r" before it. A window used up is replaced by the next chunk's.
    if (this.#ends === "cr" || this.#ends === "crlf") return undefined;
    let at = rx.consumed - this.#base;
    if (at >= this.#text.length) {
      if (!this.#makeWindow(rx)) return undefined;
      at = 0;
    }
    const text = this.#text;
    const lf = text.indexOf("\n", at);
    if (lf < 0) return undefined;
    if (this.#ends === "any") {
      if (this.#crFrom > at || this.#crAt < at) {
        const cr = text.indexOf("\r", at);
        this.#crAt = cr < 0 ? text.length : cr;
        this.#crFrom = at;
      }
      if (this.#crAt < lf) return undefined;
    }
    rx.discard(lf + 1 - at);
    return text.slice(at, lf + 1);
  }

  takeLine(rx: RecvBuffer, n: number, op: string): string {
    const window = this.#text;
    const at = rx.consumed - this.#base;
    if (at < 0 || at + n > window.length) return this.take(rx, n, op);
    rx.discard(n);
    // A line's only "\r" can be in its line end (universal newlines): translate just that,
    // looking at the window (flat) rather than at the slice.
    if (this.#translate && n > 0) {
      const end = at + n;
      if (window.charCodeAt(end - 1) === CR) return `${window.slice(at, end - 1)}\n`;
      if (n > 1 && window.charCodeAt(end - 2) === CR) return `${window.slice(at, end - 2)}\n`;
    }
    return window.slice(at, at + n);
  }

  /**
   * The line end found in the decoded window (see `#text`), or undefined when the window does
   * not hold it (then the bytes are searched). When the window holds every buffered byte and no
   * line end, there is none: −1 (or, at end of stream, the end). Lines ending at `"\n"` (and,
   * with universal newlines, `"\r"`) only.
   */
  #windowLineEnd(rx: RecvBuffer, from: number, eof: boolean): number | undefined {
    if (this.#ends !== "lf" && this.#ends !== "any") return undefined;
    // `front` is where the receive buffer starts in the window.
    let front = rx.consumed - this.#base;
    let text = this.#text;
    if (front + from < 0 || front + from >= text.length) {
      if (from !== 0 || !this.#makeWindow(rx)) return undefined;
      front = 0;
      text = this.#text;
    }
    const pos = front + from;
    const lf = text.indexOf("\n", pos);
    if (this.#ends === "any") {
      if (this.#crFrom > pos || this.#crAt < pos) {
        const cr = text.indexOf("\r", pos);
        this.#crAt = cr < 0 ? text.length : cr;
        this.#crFrom = pos;
      }
      const cr = this.#crAt;
      if (cr < (lf < 0 ? text.length : lf)) {
        if (cr + 1 >= text.length) return undefined;
        return cr + (text.charCodeAt(cr + 1) === LF ? 2 : 1) - front;
      }
    }
    if (lf >= 0) return lf + 1 - front;
    // A waiting readline() is tried as each read arrives: most often the buffer is one chunk,
    // already searched here, and the bytes need not be searched again.
    if (text.length - front !== rx.length) return undefined;
    return eof ? rx.length : -1;
  }

  /** Decodes the first chunk into the window if each of its bytes is one character. */
  #makeWindow(rx: RecvBuffer): boolean {
    if (rx.consumed < this.#noWindowBefore || rx.length === 0) return false;
    const chunk = rx.first();
    if (this.#codec.maxBytes !== 1 || this.#codec.name === "ascii") {
      if (!isAscii(chunk)) {
        this.#noWindowBefore = rx.consumed + chunk.length;
        return false;
      }
    }
    this.#text = rx.decode("latin1", 0, chunk.length);
    this.#base = rx.consumed;
    this.#crFrom = 0;
    this.#crAt = -1;
    return true;
  }

  count(value: string): number {
    return countChars(value);
  }

  /** The line end found by searching for the line-end bytes (no limit). */
  #fastLineEnd(rx: RecvBuffer, from: number, eof: boolean): number {
    switch (this.#ends) {
      case "lf": {
        const at = this.#lf.find(rx, from);
        return at >= 0 ? at + 1 : eof ? rx.length : -1;
      }
      case "cr": {
        const at = this.#cr.find(rx, from);
        return at >= 0 ? at + 1 : eof ? rx.length : -1;
      }
      case "crlf": {
        const at = this.#crlf.find(rx, from);
        return at >= 0 ? at + 2 : eof ? rx.length : -1;
      }
      default: {
        const lf = this.#lf.find(rx, from);
        const cr = this.#cr.find(rx, from);
        if (cr >= 0 && (lf < 0 || cr < lf)) {
          // "\r" then "\n" is one line end; "\r" last in the buffer waits for the next byte,
          // as Python's decoder holds it back.
          if (cr + 1 < rx.length) return rx.at(cr + 1) === LF ? cr + 2 : cr + 1;
          return eof ? rx.length : -1;
        }
        return lf >= 0 ? lf + 1 : eof ? rx.length : -1;
      }
    }
  }

  /**
   * Walks the bytes from `from`, counting characters, and stops before the character that
   * would be the `limit + 1`-th (negative: no limit), or, for a line, after its line end. This
   * is Python's TextIOWrapper: a line is cut at `limit` characters of the decoded (and, with
   * `newline=None`, translated) text, so there `"\r\n"` is one character; a trailing `"\r"`
   * (universal newlines) and an incomplete character wait for more data.
   */
  #scan(rx: RecvBuffer, from: number, limit: number, eof: boolean, line: boolean): number {
    const utf8 = this.#codec.name === "utf-8";
    const ends = this.#ends;
    const translate = this.#translate;
    const holdCR = ends === "any" || (line && ends === "crlf");
    let count = 0;
    // A UTF-8 character under way: continuation bytes still needed, and the range the next one
    // must be in (WHATWG's decoder, which CPython's agrees with: an invalid byte ends the
    // sequence, which then decodes to one U+FFFD, and starts the next character itself).
    let need = 0;
    let lower = 0x80;
    let upper = 0xbf;
    let pendingCR = -1;
    let i = from;
    let result = -1;
    rx.segments(from, rx.length, (chunk, start, stop) => {
      for (let k = start; k < stop; k++, i++) {
        const b = chunk[k]!;
        if (pendingCR >= 0) {
          const cr = pendingCR;
          pendingCR = -1;
          if (b === LF) {
            // With translation "\r\n" is one character "\n"; else the "\n" is one more.
            if (translate) {
              if (line) {
                result = i + 1;
                return false;
              }
              continue;
            }
            if (line) {
              result = count === limit ? i : i + 1;
              return false;
            }
          } else if (line && ends === "any") {
            result = cr + 1;
            return false;
          }
        }
        if (need > 0) {
          if (b >= lower && b <= upper) {
            need--;
            lower = 0x80;
            upper = 0xbf;
            continue;
          }
          need = 0;
          lower = 0x80;
          upper = 0xbf;
        }
        if (count === limit) {
          result = i;
          return false;
        }
        count++;
        if (utf8 && b >= 0xc2 && b <= 0xf4) {
          if (b < 0xe0) need = 1;
          else if (b < 0xf0) {
            need = 2;
            if (b === 0xe0) lower = 0xa0;
            else if (b === 0xed) upper = 0x9f;
          } else {
            need = 3;
            if (b === 0xf0) lower = 0x90;
            else if (b === 0xf4) upper = 0x8f;
          }
        }
        if (line && b === LF && (ends === "lf" || ends === "any")) {
          result = i + 1;
          return false;
        }
        if (b === CR) {
          if (line && ends === "cr") {
            result = i + 1;
            return false;
          }
          if (holdCR) pendingCR = i;
        }
      }
      return true;
    });
    if (result >= 0) return result;
    const length = rx.length;
    if (eof) return length;
    if (pendingCR >= 0 || need > 0 || count < limit || limit < 0) return -1;
    return length;
  }
}

/** Whether every byte is below 0x80 (Node's `buffer.isAscii` where it exists). */
const isAscii: (bytes: Uint8Array) => boolean =
  (nodeBuffer as { isAscii?: (bytes: Uint8Array) => boolean }).isAscii ??
  ((bytes) => {
    for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
    return true;
  });
