import { describe } from "../core/checks.js";

/**
 * The error raised by the struct functions, Python's `struct.error`: a bad format, a value that a
 * field cannot hold, a wrong number of values or a buffer of the wrong size. The message is
 * CPython's own wording wherever CPython has one.
 *
 * @example
 * ```ts
 * import { pack, StructError } from "sockit/struct";
 * try {
 *   pack(">H", 70000);
 * } catch (error) {
 *   if (error instanceof StructError) console.log(error.code, error.message);
 *   // ESTRUCT 'H' format requires 0 <= number <= 65535
 * }
 * ```
 */
export class StructError extends Error {
  /** Always `"ESTRUCT"`, so struct failures can be told apart by `code` like the socket errors. */
  readonly code = "ESTRUCT";

  constructor(message: string) {
    super(typeof message === "string" ? message : describe(message));
    this.name = "StructError";
  }
}
