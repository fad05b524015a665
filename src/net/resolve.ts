/**
 * Name resolution: Python's `getaddrinfo` and `gethostname` over the system resolver.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { describe } from "../core/checks.js";
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
} from "../core/constants.js";
import { AddressInfoError, fromNodeError } from "../core/errors.js";
import { type Address, ipAddress, typeName } from "./address.js";
import { inetNtop, inetPton, isDottedQuad, parseInetAton } from "./inet.js";

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

/** Service name (and alias) → port, per protocol name ("tcp", "udp"…), from /etc/services. */
let services: Map<string, number> | undefined;

function servicePort(name: string, protocol: string): number | undefined {
  if (services === undefined) {
    services = new Map();
    try {
      for (const line of readFileSync("/etc/services", "utf8").split("\n")) {
        const [entry = ""] = line.split("#");
        const [service, portProto = "", ...aliases] = entry.trim().split(/\s+/);
        const [portText = "", proto] = portProto.split("/");
        const port = Number.parseInt(portText, 10);
        if (service === undefined || proto === undefined || Number.isNaN(port)) continue;
        for (const n of [service, ...aliases]) {
          if (!services.has(`${n}/${proto}`)) services.set(`${n}/${proto}`, port);
        }
      }
    } catch {
      // No services database: only numeric ports resolve.
    }
  }
  return services.get(`${name}/${protocol}`);
}

/** glibc's socket type × protocol table (`gaih_inet_typeproto`), in its order. */
interface Kind {
  readonly type: number;
  readonly proto: number;
  readonly name: string;
  /** Returned when neither `type` nor `proto` is given. */
  readonly byDefault: boolean;
  /** SOCK_RAW: takes any `proto` and no service. */
  readonly raw: boolean;
}
const KINDS: readonly Kind[] = [
  { type: SOCK_STREAM, proto: IPPROTO_TCP, name: "tcp", byDefault: true, raw: false },
  { type: SOCK_DGRAM, proto: IPPROTO_UDP, name: "udp", byDefault: true, raw: false },
  { type: 6, proto: 33, name: "dccp", byDefault: false, raw: false },
  { type: SOCK_DGRAM, proto: 136, name: "udplite", byDefault: false, raw: false },
  { type: SOCK_STREAM, proto: 132, name: "sctp", byDefault: false, raw: false },
  { type: 5, proto: 132, name: "sctp", byDefault: false, raw: false },
  { type: SOCK_RAW, proto: 0, name: "raw", byDefault: true, raw: true },
];

/** C's `isspace`, for strtoul's leading blanks. */
const NUMERIC_SERVICE = /^[ \t\n\v\f\r]*[+-]?[0-9]+$/;

/** The service as glibc reads it: `null` (none), a port number, or a name to look up. */
function parseService(port: unknown, flags: number): number | string | null {
  if (port === null || port === undefined || port === "*") return null;
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
  if (port === "") return null;
  if (NUMERIC_SERVICE.test(port)) {
    // strtoul, kept in an int, then cut to 16 bits, as glibc does ("65616" is port 80); a
    // negative int is looked up as a name (and fails).
    const value = BigInt(port.trim());
    const n = Number(BigInt.asIntN(32, value < 0n ? 2n ** 64n + value : value));
    return n >= 0 ? n & 0xffff : port;
  }
  if (flags & AI_NUMERICSERV)
    throw new AddressInfoError("EAI_NONAME", { op: "getaddrinfo", address: port });
  return port;
}

/** The `[type, proto, port]` triples glibc would answer for these filters and service. */
function kindsFor(
  type: number,
  proto: number,
  service: number | string | null,
): [type: number, proto: number, port: number][] {
  const fail = (code: string): AddressInfoError =>
    new AddressInfoError(code, {
      op: "getaddrinfo",
      ...(typeof service === "string" ? { address: service } : {}),
    });
  let kind: Kind | undefined;
  if (type !== 0 || proto !== 0) {
    kind = KINDS.find(
      (k) => (type === 0 || type === k.type) && (proto === 0 || k.raw || proto === k.proto),
    );
    if (kind === undefined) throw fail(type !== 0 ? "EAI_SOCKTYPE" : "EAI_SERVICE");
    if (kind.raw && service !== null) throw fail("EAI_SERVICE");
  }
  if (typeof service === "string") {
    const candidates = kind === undefined ? KINDS.filter((k) => !k.raw) : [kind];
    const found = candidates.flatMap((k): [number, number, number][] => {
      const port = servicePort(service, k.name);
      return port === undefined ? [] : [[k.type, k.proto, port]];
    });
    if (found.length === 0) throw fail("EAI_SERVICE");
    return found;
  }
  const port = service ?? 0;
  if (kind !== undefined) return [[kind.type, kind.raw ? proto : kind.proto, port]];
  return KINDS.filter((k) => k.byDefault).map((k): [number, number, number] => [
    k.type,
    k.proto,
    port,
  ]);
}

/** Every flag glibc accepts (AI_PASSIVE … AI_CANONIDN, the old IDN ones, AI_NUMERICSERV). */
const KNOWN_FLAGS = 0x7ff;

/** A numeric host as glibc reads it (inet_aton forms for IPv4), normalised; else undefined. */
function numericHost(host: string): { address: string; family: 4 | 6 } | undefined {
  if (isDottedQuad(host)) return { address: host, family: 4 };
  const v4 = parseInetAton(host, { exact: true });
  if (v4 !== undefined) {
    return { address: [24, 16, 8, 0].map((shift) => (v4 >>> shift) & 0xff).join("."), family: 4 };
  }
  const percent = host.indexOf("%");
  const bare = percent >= 0 ? host.slice(0, percent) : host;
  if (isIP(bare) !== 6) return undefined;
  const text = inetNtop(AF_INET6, inetPton(AF_INET6, bare));
  return { address: percent >= 0 ? text + host.slice(percent) : text, family: 6 };
}

/** One address the system resolver gave for a name. */
export interface LookupAnswer {
  address: string;
  family: number;
}

/** How sockit asks the system resolver for a name's addresses (`family` 0: any). */
export type NameLookup = (host: string, family: 0 | 4 | 6) => Promise<LookupAnswer[]>;

/** The system resolver (Node's `dns.lookup`, as glibc answers). */
export const systemLookup: NameLookup = (host, family) => lookup(host, { all: true, family });
let nameLookup: NameLookup = systemLookup;

/**
 * Replaces the resolver `getaddrinfo` asks for names (tests answer names with it, on every
 * runtime); `null` restores the system's. Internal: not exported from the package.
 */
export function setNameLookup(next: NameLookup | null): void {
  nameLookup = next ?? systemLookup;
}

/**
 * The first address the resolver gives for a host name in `family` (undefined if none), as
 * CPython's `bind` resolves a name with the socket's family. Rejects with the resolver's own
 * error (`ENOTFOUND`, ...), which `fromNodeError` raises as `AddressInfoError`.
 */
export async function lookupFirst(host: string, family: 4 | 6): Promise<string | undefined> {
  const [first] = await nameLookup(host, family);
  return first?.address;
}

/**
 * The filters of a `getaddrinfo` call, given either as Python's positional arguments `family,
 * type, proto, flags` (numbers) or as one options object. Every filter is an integer; anything
 * else is a TypeError (as CPython's "cannot be interpreted as an integer"), never ignored.
 */
export function getaddrinfoFilters(args: readonly unknown[]): Required<GetAddrInfoOptions> {
  const [first] = args;
  let given: GetAddrInfoOptions;
  if (typeof first === "object" && first !== null && !Array.isArray(first)) {
    if (args.length > 1) {
      throw new TypeError(
        "getaddrinfo(): pass the filters either as numbers (family, type, proto, flags) or as one options object, not both",
      );
    }
    given = first as GetAddrInfoOptions;
  } else {
    const [family, type, proto, flags] = args as (number | undefined)[];
    if (args.length > 4) {
      throw new TypeError(`getaddrinfo(): takes at most 6 arguments, got ${args.length + 2}`);
    }
    given = { family, type, proto, flags } as GetAddrInfoOptions;
    if (first === null) throw new TypeError("getaddrinfo(): family must be an integer, got null");
  }
  const filter = (name: keyof GetAddrInfoOptions): number => {
    const value: unknown = given[name];
    if (value === undefined) return 0;
    if (typeof value !== "number" || !Number.isInteger(value)) {
      throw new TypeError(`getaddrinfo(): ${name} must be an integer, got ${describe(value)}`);
    }
    return value;
  };
  return {
    family: filter("family"),
    type: filter("type"),
    proto: filter("proto"),
    flags: filter("flags"),
  };
}

/**
 * Resolves `host` and `port` to the addresses to connect or bind to, in the resolver's order.
 * The filters come as Python's positional arguments (`family, type, proto, flags`) or as one
 * options object. Failures are {@link AddressInfoError} with the `EAI_*` code.
 *
 * @example
 * ```ts
 * const [[family, , , , address]] = await getaddrinfo("localhost", 80, { type: SOCK_STREAM });
 * const v4 = await getaddrinfo("localhost", 80, AF_INET, SOCK_STREAM);
 * ```
 */
export async function getaddrinfo(
  host: string | null,
  port: number | string | null,
  options?: GetAddrInfoOptions,
): Promise<AddrInfo[]>;
export async function getaddrinfo(
  host: string | null,
  port: number | string | null,
  family?: number,
  type?: number,
  proto?: number,
  flags?: number,
): Promise<AddrInfo[]>;
export async function getaddrinfo(
  host: string | null,
  port: number | string | null,
  ...filters: unknown[]
): Promise<AddrInfo[]> {
  const { family, type, proto, flags } = getaddrinfoFilters(filters);
  if (host !== null && typeof host !== "string") {
    throw new TypeError(`getaddrinfo(): host must be a string or null, got ${typeName(host)}`);
  }
  // The checks in glibc's order, so the same call fails with the same code ("*" is no service).
  if (host === null && (port === null || port === undefined || port === "*")) {
    throw new AddressInfoError("EAI_NONAME", { op: "getaddrinfo" });
  }
  if ((flags & ~KNOWN_FLAGS) !== 0 || (flags & AI_CANONNAME && host === null)) {
    throw new AddressInfoError("EAI_BADFLAGS", { op: "getaddrinfo" });
  }
  const service = parseService(port, flags);
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) {
    throw new AddressInfoError("EAI_FAMILY", { op: "getaddrinfo" });
  }
  const kinds = kindsFor(type, proto, service);
  let hosts: { address: string; family: number }[];
  const numeric = host === null ? undefined : numericHost(host);
  if (host === null) {
    // As glibc sorts them (RFC 6724): the wildcard IPv4 first, the loopback IPv6 first.
    const passive = (flags & AI_PASSIVE) !== 0;
    const v6 = { address: passive ? "::" : "::1", family: 6 };
    const v4 = { address: passive ? "0.0.0.0" : "127.0.0.1", family: 4 };
    hosts = (passive ? [v4, v6] : [v6, v4]).filter(
      (h) => family === AF_UNSPEC || (family === AF_INET6 ? 6 : 4) === h.family,
    );
  } else if (numeric !== undefined) {
    if (family !== AF_UNSPEC && (family === AF_INET6 ? 6 : 4) !== numeric.family) {
      throw new AddressInfoError("EAI_ADDRFAMILY", { op: "getaddrinfo", address: host });
    }
    hosts = [numeric];
  } else {
    if (flags & AI_NUMERICHOST || host === "")
      throw new AddressInfoError("EAI_NONAME", { op: "getaddrinfo", address: host });
    try {
      hosts = await nameLookup(host, family === AF_INET6 ? 6 : family === AF_INET ? 4 : 0);
    } catch (error) {
      throw fromNodeError(error, { op: "getaddrinfo", address: host });
    }
  }
  const answers: AddrInfo[] = [];
  hosts.forEach((h, i) => {
    const fam = h.family === 6 ? AF_INET6 : AF_INET;
    const canon = i === 0 && flags & AI_CANONNAME && host !== null ? host : "";
    kinds.forEach(([t, p, n], k) => {
      answers.push([fam, t, p, k === 0 ? canon : "", ipAddress(fam, h.address, n)]);
    });
  });
  return answers;
}

/** The machine's host name. */
export function gethostname(): string {
  return hostname();
}
