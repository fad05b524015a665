/**
 * `sock.makefile(mode, options)`: checks its arguments and makes a {@link BinaryFile} or a
 * {@link TextFile}.
 *
 * @module
 */

import { SOCK_DGRAM } from "../core/constants.js";
import { busyError, type Descriptor, streamOnly } from "../socket/descriptor.js";
import { closedError } from "../socket/operation.js";
import { BinaryFile } from "./binary-file.js";
import { fileSpec } from "./file-options.js";
import { TextFile } from "./text-file.js";
import { ByteUnits } from "./units.js";

/** What `makefile(mode)` returns for a mode: a {@link BinaryFile} with `"b"`, else a {@link TextFile}. */
export type FileFor<M extends string> = string extends M
  ? BinaryFile | TextFile
  : M extends `${string}b${string}`
    ? BinaryFile
    : TextFile;

/** Makes the file object of `makefile(mode, options)` on the socket `d`. */
export function makefile(
  d: Descriptor,
  mode: unknown = "r",
  options?: unknown,
): BinaryFile | TextFile {
  const spec = fileSpec(mode, options);
  if (d.closed) throw closedError("makefile", d);
  // A file object reads a byte stream; CPython's would read datagrams as if they were one.
  if (d.type === SOCK_DGRAM) throw streamOnly("makefile");
  if (d.holder !== undefined) throw busyError("makefile", d.describe());
  return spec.binary ? new BinaryFile(d, spec, new ByteUnits()) : new TextFile(d, spec);
}
