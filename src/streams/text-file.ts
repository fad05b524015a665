/**
 * Text file objects (`makefile()`, `makefile("rw")`…): Python's TextIOWrapper over a socket,
 * with an encoding, an error handler and a newline rule.
 *
 * @module
 */

import { describe } from "../core/checks.js";
import type { Descriptor } from "../socket/descriptor.js";
import { type Codec, countChars, type ErrorHandler } from "./codec.js";
import { madeByMakefile, SocketFile } from "./file.js";
import type { FileSpec } from "./file-options.js";
import { TextUnits } from "./text-units.js";
import type { Fit } from "./write-buffer.js";

/** A text file object: reads return strings, `write` takes strings. */
export class TextFile extends SocketFile<string, string> {
  readonly #codec: Codec;
  readonly #errors: ErrorHandler;
  readonly #lineEnd: string;

  /** @internal Use `socket.makefile()`. */
  /** @internal Files come from `sock.makefile(mode)`. */
  constructor(d: Descriptor, spec: FileSpec) {
    super(
      madeByMakefile(d, "TextFile"),
      spec,
      new TextUnits(spec.codec!, spec.errors, spec.newline),
    );
    this.#codec = spec.codec!;
    this.#errors = spec.errors;
    this.#lineEnd = spec.lineEnd;
  }

  /** The encoding, by Python's name: `"utf-8"`, `"ascii"` or `"latin-1"`. */
  get encoding(): string {
    return this.#codec.name;
  }

  /** The error handler: `"strict"` or `"replace"`. */
  get errors(): ErrorHandler {
    return this.#errors;
  }

  /** @internal */
  protected override encode(data: string): [Uint8Array, number, Fit] {
    if (typeof data !== "string") {
      throw new TypeError(
        `write(): a text file takes a string, got ${describe(data)}; add "b" to the mode to write bytes`,
      );
    }
    const text = this.#lineEnd === "\n" ? data : data.replaceAll("\n", this.#lineEnd);
    const bytes = this.#codec.encode(text, this.#errors, "write");
    const count = bytes.length === data.length ? data.length : countChars(data);
    return [bytes, count, textFit(data, this.#codec, this.#lineEnd.length)];
  }
}

/**
 * How the bytes written for `data` divide into its characters: each `"\n"` took `lineEndBytes`
 * bytes (newline translation), each lone surrogate one (`errors: "replace"` wrote `"?"`). Walked
 * only when a write fails part-way.
 */
function textFit(data: string, codec: Codec, lineEndBytes: number): Fit {
  /** Bytes after each number of characters: `marks[k]` is the end of the k-th. */
  let marks: number[] | undefined;
  const boundaries = (): number[] => {
    if (marks === undefined) {
      marks = [0];
      let bytes = 0;
      for (const ch of data) {
        const cp = ch.codePointAt(0)!;
        bytes += cp === 0x0a ? lineEndBytes : cp >= 0xd800 && cp < 0xe000 ? 1 : codec.size(cp);
        marks.push(bytes);
      }
    }
    return marks;
  };
  /** The most characters that end at or before `bytes`. */
  const atMost = (bytes: number): number => {
    const m = boundaries();
    let lo = 0;
    let hi = m.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (m[mid]! <= bytes) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  /** The fewest characters that end at or after `bytes`. */
  const atLeast = (bytes: number): number => {
    const m = boundaries();
    let lo = 0;
    let hi = m.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (m[mid]! >= bytes) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  return {
    down: (bytes) => boundaries()[atMost(bytes)]!,
    up: (bytes) => boundaries()[atLeast(bytes)]!,
    units: (bytes) => atLeast(bytes),
  };
}
