/**
 * Name resolution: Python's `getaddrinfo` and `gethostname` over the system resolver.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { type Address, ipAddress, typeName } from "./address.js";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_NUMERICSERV,
  AI_PASSIVE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
} from "./constants.js";
import { AddressInfoError, fromNodeError } from "./errors.js";

/** Filters for {@link getaddrinfo}, as Python's keyword arguments. */
export interface GetAddrInfoOptions {
  /** `AF_INET`, `AF_INET6` or `AF_UNSPEC` (0, the default: both). */
  family?: number;
  /** `SOCK_STREAM`, `SOCK_DGRAM` or 0 (every type). */
  type?: number;
  /** `IPPROTO_TCP`, `IPPROTO_UDP` or 0. */
  proto?: number;
  /** `AI_PASSIVE`, `AI_CANONNAME`, `AI_NUMERICHOST`, `AI_NUMERICSERV`, or'ed. */
  flags?: number;
}

/** One answer: `[family, type, proto, canonname, address]`. */
export type AddrInfo = [
  family: number,
  type: number,
  proto: number,
  canonname: string,
  address: Address,
];

let services: Map<string, number> | undefined;

/** Port of a service name from /etc/services (TCP and UDP share numbers for the usual ones). */
function servicePort(name: string): number | undefined {
  if (services === undefined) {
    services = new Map();
    try {
      for (const line of readFileSync("/etc/services", "utf8").split("\n")) {
        const [entry = ""] = line.split("#");
        const [service, portProto, ...aliases] = entry.trim().split(/\s+/);
        const port = Number.parseInt(portProto?.split("/")[0] ?? "", 10);
        if (service === undefined || Number.isNaN(port)) continue;
        for (const n of [service, ...aliases]) if (!services.has(n)) services.set(n, port);
      }
    } catch {
      // No services database: only numeric ports resolve.
    }
  }
  return services.get(name);
}

function resolvePort(port: unknown, flags: number): number {
  if (port === null || port === undefined) return 0;
  if (typeof port === "number") {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`getaddrinfo(): port must be 0-65535, got ${port}`);
    }
    return port;
  }
  if (typeof port !== "string") {
    throw new TypeError(
      `getaddrinfo(): port must be a number, a string or null, got ${typeName(port)}`,
    );
  }
  if (/^[0-9]+$/.test(port)) {
    const n = Number(port);
    if (n <= 65535) return n;
  }
  const named = flags & AI_NUMERICSERV ? undefined : servicePort(port);
  if (named === undefined)
    throw new AddressInfoError("EAI_SERVICE", { op: "getaddrinfo", address: port });
  return named;
}

function typesFor(type: number, proto: number): [number, number][] {
  if (type === SOCK_STREAM) return [[SOCK_STREAM, proto || IPPROTO_TCP]];
  if (type === SOCK_DGRAM) return [[SOCK_DGRAM, proto || IPPROTO_UDP]];
  if (type === SOCK_RAW) return [[SOCK_RAW, proto]];
  if (type !== 0) throw new AddressInfoError("EAI_SOCKTYPE", { op: "getaddrinfo" });
  if (proto === IPPROTO_TCP) return [[SOCK_STREAM, IPPROTO_TCP]];
  if (proto === IPPROTO_UDP) return [[SOCK_DGRAM, IPPROTO_UDP]];
  return [
    [SOCK_STREAM, IPPROTO_TCP],
    [SOCK_DGRAM, IPPROTO_UDP],
    [SOCK_RAW, 0],
  ];
}

/**
 * Resolves `host` and `port` to the addresses to connect or bind to, in the resolver's order.
 * Failures are {@link AddressInfoError} with the `EAI_*` code.
 *
 * @example
 * ```ts
 * const [[family, , , , address]] = await getaddrinfo("localhost", 80, { type: SOCK_STREAM });
 * ```
 */
export async function getaddrinfo(
  host: string | null,
  port: number | string | null,
  options: GetAddrInfoOptions = {},
): Promise<AddrInfo[]> {
  const { family = AF_UNSPEC, type = 0, proto = 0, flags = 0 } = options;
  if (host !== null && typeof host !== "string") {
    throw new TypeError(`getaddrinfo(): host must be a string or null, got ${typeName(host)}`);
  }
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) {
    throw new AddressInfoError("EAI_FAMILY", { op: "getaddrinfo" });
  }
  const portNumber = resolvePort(port, flags);
  const kinds = typesFor(type, proto);
  let hosts: { address: string; family: number }[];
  if (host === null || host === "") {
    const passive = (flags & AI_PASSIVE) !== 0;
    hosts = [];
    if (family !== AF_INET) hosts.push({ address: passive ? "::" : "::1", family: 6 });
    if (family !== AF_INET6) hosts.push({ address: passive ? "0.0.0.0" : "127.0.0.1", family: 4 });
  } else if (isIP(host.split("%")[0] ?? "") !== 0) {
    const v = isIP(host.split("%")[0] ?? "");
    if (family !== AF_UNSPEC && (family === AF_INET6 ? 6 : 4) !== v) {
      throw new AddressInfoError("EAI_ADDRFAMILY", { op: "getaddrinfo", address: host });
    }
    hosts = [{ address: host, family: v }];
  } else {
    if (flags & AI_NUMERICHOST)
      throw new AddressInfoError("EAI_NONAME", { op: "getaddrinfo", address: host });
    try {
      hosts = await lookup(host, {
        all: true,
        family: family === AF_INET6 ? 6 : family === AF_INET ? 4 : 0,
      });
    } catch (error) {
      throw fromNodeError(error, { op: "getaddrinfo", address: host });
    }
  }
  const answers: AddrInfo[] = [];
  hosts.forEach((h, i) => {
    const fam = h.family === 6 ? AF_INET6 : AF_INET;
    const canon = i === 0 && flags & AI_CANONNAME && host !== null ? host : "";
    kinds.forEach(([t, p], k) => {
      answers.push([fam, t, p, k === 0 ? canon : "", ipAddress(fam, h.address, portNumber)]);
    });
  });
  return answers;
}

/** The machine's host name. */
export function gethostname(): string {
  return hostname();
}
