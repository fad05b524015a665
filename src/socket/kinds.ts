/**
 * The socket kinds the library makes: which `family` and `type` arguments `socket()` accepts,
 * and the errors Python raises for the others.
 *
 * @module
 */

import { describe } from "../core/checks.js";
import { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM } from "../core/constants.js";
import { SocketError } from "../core/errors.js";

/** A socket family the library supports, or the error Python raises. */
export function checkFamily(family: unknown): number {
  if (family === AF_INET || family === AF_INET6 || family === AF_UNIX) return family;
  if (typeof family !== "number" || !Number.isInteger(family)) {
    throw new TypeError(
      `socket(): family must be AF_INET, AF_INET6 or AF_UNIX, got ${describe(family)}`,
    );
  }
  throw new SocketError("EAFNOSUPPORT", { op: "socket" }, `unsupported address family ${family}`);
}

/** A socket type the library supports, or the error Python raises. */
function checkType(type: unknown): number {
  if (type === SOCK_STREAM) return type;
  if (typeof type !== "number" || !Number.isInteger(type)) {
    throw new TypeError(`socket(): type must be SOCK_STREAM, got ${describe(type)}`);
  }
  throw new SocketError(
    "EPROTONOSUPPORT",
    { op: "socket" },
    `socket type ${type} is not supported yet (only SOCK_STREAM)`,
  );
}

/** A socket type the library supports (SOCK_DGRAM for AF_INET and AF_INET6), or Python's error. */
export function checkSocketType(type: unknown, family: number): number {
  if (type === SOCK_DGRAM && family !== AF_UNIX) return type;
  if (type === SOCK_DGRAM) {
    throw new SocketError(
      "EPROTONOSUPPORT",
      { op: "socket" },
      "AF_UNIX datagram sockets are not supported (AF_INET and AF_INET6 only)",
    );
  }
  if (typeof type !== "number" || !Number.isInteger(type)) {
    throw new TypeError(`socket(): type must be SOCK_STREAM or SOCK_DGRAM, got ${describe(type)}`);
  }
  return checkType(type);
}
