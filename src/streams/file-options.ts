/**
 * `makefile`'s arguments, checked and resolved into what a file object does: which directions,
 * bytes or text, its encoding and newline rule, and its write buffer.
 *
 * @module
 */

import { EOL } from "node:os";
import { checkOptions, describe } from "../core/checks.js";
import { type Codec, codecFor, type ErrorHandler, errorHandler } from "./codec.js";

/** Options of `makefile`, as Python's keyword arguments. */
export interface FileOptions {
  /**
   * Bytes of the write buffer (default 8192, Python's `io.DEFAULT_BUFFER_SIZE`; a negative value
   * or `null` means the default); `0` makes the file unbuffered (binary files only): each `read`
   * is one `recv` and each `write` one `send`, as Python's raw `SocketIO`. Reading never adds a
   * buffer of its own: the socket's receive buffer serves.
   */
  buffering?: number | null | undefined;
  /** Text files: `"utf-8"` (the default), `"ascii"` or `"latin-1"`, by any of Python's names. */
  encoding?: string | null | undefined;
  /** Text files: `"strict"` (the default: undecodable data is an error) or `"replace"`. */
  errors?: string | null | undefined;
  /**
   * Text files, as Python's `newline`: `undefined`/`null` (default) ends lines at `"\n"`, `"\r"`
   * or `"\r\n"` and reads each as `"\n"`, and writes `"\n"` as the platform's line end; `""`
   * ends lines at all three but leaves them as they are; `"\n"`, `"\r"` or `"\r\n"` end lines
   * only there, and are what `"\n"` is written as.
   */
  newline?: string | null | undefined;
}

/** Python's `newline` rule of a text file. */
export type Newline = null | "" | "\n" | "\r" | "\r\n";

/** What a file object does, resolved from its mode and options. */
export interface FileSpec {
  /** The mode as given. */
  readonly mode: string;
  readonly reading: boolean;
  readonly writing: boolean;
  readonly binary: boolean;
  /** Unbuffered (`buffering: 0`): one socket call per file call. */
  readonly raw: boolean;
  /** Bytes the write buffer holds before it is sent. */
  readonly bufferSize: number;
  /** Text files only. */
  readonly codec: Codec | undefined;
  readonly errors: ErrorHandler;
  readonly newline: Newline;
  /** What `"\n"` is written as (text files; `"\n"` when no translation applies). */
  readonly lineEnd: string;
}

/** Python's `io.DEFAULT_BUFFER_SIZE`, bytes. */
export const DEFAULT_BUFFER_SIZE = 8192;

/** Checks `makefile(mode, options)` and resolves it (Python's `socket.makefile` rules). */
export function fileSpec(mode: unknown, value: unknown): FileSpec {
  if (typeof mode !== "string") {
    throw new TypeError(`makefile(): mode must be a string such as "r", got ${describe(mode)}`);
  }
  if (!/^[rwb]*$/.test(mode)) {
    throw new RangeError(
      `makefile(): invalid mode ${JSON.stringify(mode)}: use "r", "w" or "rw", with "b" for a binary file (e.g. "rb")`,
    );
  }
  if (typeof value === "number") {
    throw new TypeError(
      `makefile(): options must be an object such as { buffering: ${value} }, got ${describe(value)}`,
    );
  }
  const options = checkOptions<FileOptions>(value, "makefile(): options") ?? {};
  const writing = mode.includes("w");
  const reading = mode.includes("r") || !writing;
  const binary = mode.includes("b");
  const bufferSize = buffering(options.buffering);
  if (bufferSize === 0 && !binary) {
    throw new RangeError(
      'makefile(): buffering 0 (unbuffered) needs a binary file: add "b" to the mode',
    );
  }
  if (binary) {
    for (const key of ["encoding", "errors", "newline"] as const) {
      if (options[key] !== undefined && options[key] !== null) {
        throw new RangeError(
          `makefile(): a binary file (mode ${JSON.stringify(mode)}) takes no ${key}; remove "b" from the mode for a text file`,
        );
      }
    }
  }
  const newline = binary ? null : newlineOf(options.newline);
  return {
    mode,
    reading,
    writing,
    binary,
    raw: bufferSize === 0,
    bufferSize,
    codec: binary ? undefined : codecFor(options.encoding ?? "utf-8", "makefile(): encoding"),
    errors: binary ? "strict" : errorHandler(options.errors, "makefile(): errors"),
    newline,
    lineEnd: newline === null ? EOL : newline === "" ? "\n" : newline,
  };
}

function buffering(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_BUFFER_SIZE;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `makefile(): buffering must be an integer number of bytes, got ${describe(value)}`,
    );
  }
  return value < 0 ? DEFAULT_BUFFER_SIZE : value;
}

function newlineOf(value: unknown): Newline {
  if (value === undefined || value === null) return null;
  if (value === "" || value === "\n" || value === "\r" || value === "\r\n") return value;
  if (typeof value !== "string") {
    throw new TypeError(`makefile(): newline must be a string or null, got ${describe(value)}`);
  }
  throw new RangeError(
    `makefile(): illegal newline ${JSON.stringify(value)}: use null, "", "\\n", "\\r" or "\\r\\n"`,
  );
}
