/**
 * The options only datagram sockets have: broadcast, TTLs and hop limits, multicast loop,
 * interface and group membership. A socket holds them in one {@link DatagramOptions}; they take
 * effect on the OS socket once it is bound (values set before are applied then), and these
 * entries of the options table (sockopts.ts) read and set them. On a stream socket each of
 * them is `ENOPROTOOPT`.
 *
 * Values are Python's: `IP_ADD_MEMBERSHIP` takes the 8 bytes of `inetAton(group) +
 * inetAton(interface)`, `IPV6_JOIN_GROUP` the 16 bytes of the group and a native-endian
 * interface index, `IP_MULTICAST_IF` the 4 bytes of an interface address.
 */

import type * as dgram from "node:dgram";
import { readdirSync, readFileSync } from "node:fs";
import { endianness } from "node:os";
import { describe } from "../core/checks.js";
import {
  AF_INET,
  AF_INET6,
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_UNICAST_HOPS,
  SO_BROADCAST,
  SOL_SOCKET,
} from "../core/constants.js";
import { fromNodeError, SocketError } from "../core/errors.js";
import { inetNtoa, inetNtop } from "../net/inet.js";
import type { Entry, OptionTarget } from "./sockopts.js";

/** What a changed datagram option is called, for OptionTarget.apply (nothing to apply there). */
export type DatagramOptionName = "datagram";

/** A group joined: the group's address and the interface as Node takes it (undefined: any). */
interface Membership {
  readonly group: string;
  readonly iface: string | undefined;
}

/** The datagram options of one socket, and the bound `dgram.Socket` they apply to. */
export class DatagramOptions {
  readonly family: number;
  broadcast = false;
  ttl = 64;
  multicastTtl = 1;
  multicastLoop = true;
  /** IP_MULTICAST_IF / IPV6_MULTICAST_IF as set (a number, as getsockopt reads it back). */
  multicastIf = 0;
  /** The same interface as Node takes it (undefined: the default). */
  #multicastIfName: string | undefined;
  readonly #groups = new Map<string, Membership>();
  #socket: dgram.Socket | undefined;

  constructor(family: number) {
    this.family = family;
  }

  /** Applies every value set so far to the newly bound `socket`, and later ones as they come. */
  attach(socket: dgram.Socket): void {
    this.#socket = socket;
    if (this.broadcast) socket.setBroadcast(true);
    if (this.ttl !== 64) socket.setTTL(this.ttl);
    if (this.multicastTtl !== 1) socket.setMulticastTTL(this.multicastTtl);
    if (!this.multicastLoop) socket.setMulticastLoopback(false);
    if (this.#multicastIfName !== undefined) socket.setMulticastInterface(this.#multicastIfName);
    for (const { group, iface } of this.#groups.values()) socket.addMembership(group, iface);
  }

  /** Stops applying values (the socket is closing). */
  detach(): void {
    this.#socket = undefined;
  }

  setBroadcast(on: boolean): void {
    this.#live((s) => s.setBroadcast(on));
    this.broadcast = on;
  }

  setTtl(hops: number): void {
    this.#live((s) => s.setTTL(hops));
    this.ttl = hops;
  }

  setMulticastTtl(hops: number): void {
    this.#live((s) => s.setMulticastTTL(hops));
    this.multicastTtl = hops;
  }

  setMulticastLoop(on: boolean): void {
    this.#live((s) => s.setMulticastLoopback(on));
    this.multicastLoop = on;
  }

  setMulticastIf(value: number, name: string | undefined): void {
    const reset = this.family === AF_INET6 ? "::" : "0.0.0.0";
    this.#live((s) => s.setMulticastInterface(name ?? reset));
    this.multicastIf = value;
    this.#multicastIfName = name;
  }

  /** Joins or leaves a group; as Linux: joining twice is EADDRINUSE, leaving a stranger EADDRNOTAVAIL. */
  membership(join: boolean, group: string, iface: string | undefined): void {
    const key = `${group}%${iface ?? ""}`;
    const address = iface === undefined ? group : `${group} on ${iface}`;
    if (join && this.#groups.has(key)) {
      throw new SocketError("EADDRINUSE", { op: "setsockopt", address }, "already a member");
    }
    if (!join && !this.#groups.has(key)) {
      throw new SocketError("EADDRNOTAVAIL", { op: "setsockopt", address }, "not a member");
    }
    this.#live((s) => (join ? s.addMembership(group, iface) : s.dropMembership(group, iface)));
    if (join) this.#groups.set(key, { group, iface });
    else this.#groups.delete(key);
  }

  /** Runs `change` on the bound socket, if there is one, with Node's errors turned into Python's. */
  #live(change: (socket: dgram.Socket) => void): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    try {
      change(socket);
    } catch (error) {
      throw fromNodeError(error, { op: "setsockopt" });
    }
  }
}

/**
 * The datagram options of `target`, or ENOPROTOOPT for a stream socket (or, with `family`, a
 * socket of the other family).
 */
function of(target: OptionTarget, family?: number, op = "setsockopt"): DatagramOptions {
  const options = target.datagramOptions?.();
  if (options === undefined) {
    throw new SocketError("ENOPROTOOPT", { op }, "the option applies to datagram sockets only");
  }
  if (family !== undefined && options.family !== family) {
    throw new SocketError(
      "ENOPROTOOPT",
      { op },
      `the option applies to ${family === AF_INET ? "AF_INET" : "AF_INET6"} sockets only`,
    );
  }
  return options;
}

function flag(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isInteger(value)) return value !== 0;
  throw new TypeError(
    `setsockopt(): value must be an integer or a boolean, got ${describe(value)}`,
  );
}

function hops(value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `setsockopt(): value must be an integer number of hops, got ${describe(value)}`,
    );
  }
  if (value < min || value > 255) {
    throw new RangeError(`setsockopt(): hops must be ${min}-255, got ${value}`);
  }
  return value;
}

function bytes(value: unknown, length: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(
      `setsockopt(): value must be ${what} (a Uint8Array), got ${describe(value)}`,
    );
  }
  if (value.length !== length) {
    throw new RangeError(
      `setsockopt(): value must be ${what}, ${length} bytes, got ${value.length} bytes`,
    );
  }
  return value;
}

/** The name of the network interface with index `index` (Linux's /sys/class/net). */
function interfaceName(index: number): string {
  try {
    for (const name of readdirSync("/sys/class/net")) {
      const text = readFileSync(`/sys/class/net/${name}/ifindex`, "utf8");
      if (Number.parseInt(text, 10) === index) return name;
    }
  } catch {
    // not Linux: no way to name an interface by its index
  }
  throw new SocketError("ENODEV", { op: "setsockopt" }, `no network interface with index ${index}`);
}

/** An interface index as Node takes an IPv6 interface (undefined for 0: the default). */
function ipv6Interface(index: number): string | undefined {
  return index === 0 ? undefined : `::%${interfaceName(index)}`;
}

function ifindex(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`setsockopt(): value must be an interface index, got ${describe(value)}`);
  }
  if (value < 0 || value > 0xffffffff) {
    throw new RangeError(`setsockopt(): interface index must be 0-2**32-1, got ${value}`);
  }
  return value;
}

const NATIVE_LE = endianness() === "LE";

/** A 32-bit value in the machine's byte order, as Linux reads a `struct in_addr` into an int. */
function nativeUint32(data: Uint8Array, offset: number): number {
  const view = new DataView(data.buffer, data.byteOffset + offset, 4);
  return view.getUint32(0, NATIVE_LE);
}

function ipv4Group(value: unknown): [string, string | undefined] {
  const mreq = bytes(value, 8, "inetAton(group) + inetAton(interface)");
  const group = inetNtoa(mreq.subarray(0, 4));
  const iface = inetNtoa(mreq.subarray(4, 8));
  if ((mreq[0]! & 0xf0) !== 0xe0) {
    throw new SocketError("EINVAL", { op: "setsockopt", address: group }, "not a multicast group");
  }
  return [group, iface === "0.0.0.0" ? undefined : iface];
}

function ipv6Group(value: unknown): [string, string | undefined] {
  const mreq = bytes(value, 20, "inetPton(AF_INET6, group) + the interface index (4 bytes)");
  const group = inetNtop(AF_INET6, mreq.subarray(0, 16));
  if (mreq[0] !== 0xff) {
    throw new SocketError("EINVAL", { op: "setsockopt", address: group }, "not a multicast group");
  }
  return [group, ipv6Interface(nativeUint32(mreq, 16))];
}

/** An entry of the options table over the datagram options of `family` (undefined: either). */
function entry(
  family: number | undefined,
  get: (o: DatagramOptions) => number,
  set: (o: DatagramOptions, value: unknown) => void,
): Entry {
  return {
    get: (_o, target) => get(of(target, family, "getsockopt")),
    set: (_o, value, target) => {
      set(of(target, family), value);
      return CHANGED;
    },
  };
}

/** A membership entry: set only (Linux cannot read it back either: ENOPROTOOPT). */
function membershipEntry(
  family: number,
  join: boolean,
  parse: (value: unknown) => [string, string | undefined],
): Entry {
  return {
    get: () => {
      throw new SocketError("ENOPROTOOPT", { op: "getsockopt" }, "the option can only be set");
    },
    set: (_o, value, target) => {
      of(target, family).membership(join, ...parse(value));
      return CHANGED;
    },
  };
}

const CHANGED = "datagram" as const;

/** The datagram options as entries of the options table: `[level, option, entry]`. */
export const DATAGRAM_OPTIONS: readonly (readonly [number, number, Entry])[] = [
  [
    SOL_SOCKET,
    SO_BROADCAST,
    entry(
      undefined,
      (o) => (o.broadcast ? 1 : 0),
      (o, v) => o.setBroadcast(flag(v)),
    ),
  ],
  [
    IPPROTO_IP,
    IP_TTL,
    entry(
      AF_INET,
      (o) => o.ttl,
      (o, v) => o.setTtl(hops(v, 1)),
    ),
  ],
  [
    IPPROTO_IP,
    IP_MULTICAST_TTL,
    entry(
      AF_INET,
      (o) => o.multicastTtl,
      (o, v) => o.setMulticastTtl(hops(v, 0)),
    ),
  ],
  [
    IPPROTO_IP,
    IP_MULTICAST_LOOP,
    entry(
      AF_INET,
      (o) => (o.multicastLoop ? 1 : 0),
      (o, v) => o.setMulticastLoop(flag(v)),
    ),
  ],
  [
    IPPROTO_IP,
    IP_MULTICAST_IF,
    entry(
      AF_INET,
      (o) => o.multicastIf,
      (o, v) => {
        const address = bytes(v, 4, "inetAton(interface address)");
        const name = inetNtoa(address);
        o.setMulticastIf(nativeUint32(address, 0), name === "0.0.0.0" ? undefined : name);
      },
    ),
  ],
  [IPPROTO_IP, IP_ADD_MEMBERSHIP, membershipEntry(AF_INET, true, ipv4Group)],
  [IPPROTO_IP, IP_DROP_MEMBERSHIP, membershipEntry(AF_INET, false, ipv4Group)],
  [
    IPPROTO_IPV6,
    IPV6_UNICAST_HOPS,
    entry(
      AF_INET6,
      (o) => o.ttl,
      (o, v) => o.setTtl(hops(v, 1)),
    ),
  ],
  [
    IPPROTO_IPV6,
    IPV6_MULTICAST_HOPS,
    entry(
      AF_INET6,
      (o) => o.multicastTtl,
      (o, v) => o.setMulticastTtl(hops(v, 0)),
    ),
  ],
  [
    IPPROTO_IPV6,
    IPV6_MULTICAST_LOOP,
    entry(
      AF_INET6,
      (o) => (o.multicastLoop ? 1 : 0),
      (o, v) => o.setMulticastLoop(flag(v)),
    ),
  ],
  [
    IPPROTO_IPV6,
    IPV6_MULTICAST_IF,
    entry(
      AF_INET6,
      (o) => o.multicastIf,
      (o, v) => {
        const index = ifindex(v);
        o.setMulticastIf(index, ipv6Interface(index));
      },
    ),
  ],
  [IPPROTO_IPV6, IPV6_JOIN_GROUP, membershipEntry(AF_INET6, true, ipv6Group)],
  [IPPROTO_IPV6, IPV6_LEAVE_GROUP, membershipEntry(AF_INET6, false, ipv6Group)],
];
