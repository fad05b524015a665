/**
 * The errors of file objects (`makefile`) that are not socket conditions: Python's
 * `io.UnsupportedOperation` and its codec errors.
 *
 * @module
 */

import { describe } from "../core/checks.js";
import { SocketError } from "../core/errors.js";

/**
 * Python's `io.UnsupportedOperation` (an `OSError`, so a {@link SocketError} here, `code`
 * `"EOPNOTSUPP"`): the file object was not opened for this call, e.g. `write` on a file opened
 * with mode `"r"`, or `read1` on an unbuffered file.
 */
export class UnsupportedOperation extends SocketError {
  constructor(op: string, reason: string) {
    super("EOPNOTSUPP", { op }, reason);
  }
}

/**
 * Received bytes that are not valid text in the file's encoding (`errors: "strict"`, the
 * default). `code` is `"EILSEQ"`. Nothing was consumed: the bytes are still in the socket, so a
 * binary read (or a file opened with `errors: "replace"`) can still take them.
 */
export class UnicodeDecodeError extends Error {
  readonly code = "EILSEQ";
  /** The encoding, by Python's name (`"utf-8"`, `"ascii"`, `"latin-1"`). */
  readonly encoding: string;
  /** The call that failed, e.g. `"readline"`. */
  readonly op: string;

  constructor(encoding: string, op: string) {
    checkNames("UnicodeDecodeError", encoding, op);
    super(
      `Received bytes are not valid ${encoding} (${op}); they stay unread: read them in binary mode or open the file with errors: "replace"`,
    );
    this.name = "UnicodeDecodeError";
    this.encoding = encoding;
    this.op = op;
  }
}

/**
 * Text that the file's encoding cannot represent (`errors: "strict"`, the default), e.g. `"é"`
 * in an `"ascii"` file or a lone surrogate in a `"utf-8"` one. `code` is `"EILSEQ"`. Nothing of
 * the text was taken.
 */
export class UnicodeEncodeError extends Error {
  readonly code = "EILSEQ";
  /** The encoding, by Python's name. */
  readonly encoding: string;
  /** The call that failed, e.g. `"write"`. */
  readonly op: string;

  constructor(encoding: string, op: string) {
    checkNames("UnicodeEncodeError", encoding, op);
    super(
      `The text has characters that ${encoding} cannot encode (${op}); nothing was written: open the file with errors: "replace" to write "?" for them`,
    );
    this.name = "UnicodeEncodeError";
    this.encoding = encoding;
    this.op = op;
  }
}

/** The constructors' two names must be strings (a TypeError that says so otherwise). */
function checkNames(what: string, encoding: unknown, op: unknown): void {
  if (typeof encoding !== "string" || typeof op !== "string") {
    throw new TypeError(
      `${what}(): encoding and op must be strings, got ${describe(encoding)} and ${describe(op)}`,
    );
  }
}
