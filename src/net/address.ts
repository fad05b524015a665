/**
 * Socket addresses in Python's shapes: `[host, port]` for AF_INET, `[host, port, flowinfo,
 * scopeId]` for AF_INET6, a path string for AF_UNIX (a leading `"\0"` is Linux's abstract
 * namespace).
 *
 * @module
 */

import { isIP } from "node:net";
import { AF_INET, AF_INET6, AF_UNIX } from "../core/constants.js";
import { SocketError } from "../core/errors.js";

/** An AF_INET address: `[host, port]`. */
export type IPv4Address = [host: string, port: number];
/** An AF_INET6 address as returned: `[host, port, flowinfo, scopeId]`. */
export type IPv6Address = [host: string, port: number, flowinfo: number, scopeId: number];
/** An AF_UNIX address: a filesystem path, or `"\0name"` in the abstract namespace. */
export type UnixAddress = string;
/** Any address a socket call returns. */
export type Address = IPv4Address | IPv6Address | UnixAddress;
/** Any address a socket call accepts (AF_INET6 takes `flowinfo` and `scopeId` optionally). */
export type AddressInput =
  | readonly [host: string, port: number]
  | readonly [host: string, port: number, flowinfo?: number, scopeId?: number]
  | string;

/** An address checked against its family: either an IP host and port, or a Unix path. */
export type Endpoint =
  | { readonly kind: "ip"; readonly host: string; readonly port: number; readonly scopeId: number }
  | { readonly kind: "unix"; readonly path: string };

/** Longest Unix socket path on Linux (`sun_path` is 108 bytes with its terminator). */
const UNIX_PATH_MAX = 107;

/** Checks `address` for `family` and returns it normalised; TypeError/RangeError if malformed. */
export function toEndpoint(family: number, address: unknown, op: string): Endpoint {
  if (family === AF_UNIX) {
    if (typeof address !== "string") {
      throw new TypeError(
        `${op}(): AF_UNIX address must be a path string, got ${typeName(address)}`,
      );
    }
    if (Buffer.byteLength(address) > UNIX_PATH_MAX) {
      throw new SocketError("ENAMETOOLONG", { op, address }, "AF_UNIX path too long");
    }
    return { kind: "unix", path: address };
  }
  const shape = family === AF_INET6 ? "[host, port, flowinfo?, scopeId?]" : "[host, port]";
  const maxLength = family === AF_INET6 ? 4 : 2;
  if (!Array.isArray(address) || address.length < 2 || address.length > maxLength) {
    throw new TypeError(
      `${op}(): ${familyName(family)} address must be an array ${shape}, got ${typeName(address)}`,
    );
  }
  const [host, port, flowinfo = 0, scopeId = 0] = address as unknown[];
  if (typeof host !== "string") {
    throw new TypeError(`${op}(): host must be a string, got ${typeName(host)}`);
  }
  if (host.includes("\0")) {
    // CPython refuses it the same way; no resolver could take it.
    throw new TypeError(`${op}(): host must not contain a NUL character`);
  }
  if (typeof port !== "number" || !Number.isInteger(port)) {
    throw new TypeError(`${op}(): port must be an integer, got ${typeName(port)}`);
  }
  if (port < 0 || port > 65535) throw new RangeError(`${op}(): port must be 0-65535, got ${port}`);
  for (const [name, value] of [
    ["flowinfo", flowinfo],
    ["scopeId", scopeId],
  ] as const) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`${op}(): ${name} must be an integer 0-2**32-1, got ${String(value)}`);
    }
  }
  return { kind: "ip", host: normaliseHost(family, host), port, scopeId: scopeId as number };
}

function normaliseHost(family: number, host: string): string {
  if (host === "") return family === AF_INET6 ? "::" : "0.0.0.0";
  if (host === "<broadcast>" && family === AF_INET) return "255.255.255.255";
  return host;
}

/** Formats an address for messages: `127.0.0.1:80`, `[::1]:80`, a path, `@name` if abstract. */
export function formatAddress(address: Address | AddressInput | Endpoint | undefined): string {
  if (address === undefined) return "";
  if (typeof address === "string") {
    return address.startsWith("\0") ? `@${address.slice(1)}` : address;
  }
  if (!Array.isArray(address)) {
    const endpoint = address as Endpoint;
    return endpoint.kind === "unix"
      ? formatAddress(endpoint.path)
      : formatAddress([endpoint.host, endpoint.port]);
  }
  const [host, port] = address as readonly [string, number];
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Builds the Python-shaped address of `family` from Node's host and port. */
export function ipAddress(family: number, host: string, port: number, scopeId = 0): Address {
  if (family === AF_INET6) {
    const percent = host.indexOf("%");
    const bare = percent >= 0 ? host.slice(0, percent) : host;
    const scope = percent >= 0 ? Number.parseInt(host.slice(percent + 1), 10) : scopeId;
    return [bare, port, 0, Number.isNaN(scope) ? 0 : scope];
  }
  return [host, port];
}

/** The Python name of an address family, for messages. */
export function familyName(family: number): string {
  if (family === AF_INET) return "AF_INET";
  if (family === AF_INET6) return "AF_INET6";
  if (family === AF_UNIX) return "AF_UNIX";
  return `family ${family}`;
}

/** `typeof`, but telling arrays and null apart, for error messages. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return value.constructor.name;
  return typeof value;
}
