/**
 * The calls tried on a datagram transport, as the operations table runs them (see policy.ts):
 * each returns a result, throws, or returns NOT_READY having consumed nothing, so a timeout, an
 * abort or a non-blocking miss never loses a datagram. They are plain functions of the
 * transport's state, so any flavour of socket can try them.
 *
 * One call takes one datagram. A datagram longer than the caller's buffer is truncated and the
 * rest of it discarded, as Linux does; with `MSG_TRUNC` the `*Into` calls return the datagram's
 * real length. An empty datagram is a message like any other (length 0), never an end of stream.
 * A pending error (an ICMP port unreachable on a connected socket…) is raised before queued
 * datagrams are returned, as Linux's `recvfrom` does.
 */

import { isIP } from "node:net";
import { AF_INET6 } from "../core/constants.js";
import { AddressInfoError, SocketError } from "../core/errors.js";
import { type Address, formatAddress } from "../net/address.js";
import type { Datagram } from "./datagram.js";
import { NOT_READY } from "./operation.js";

/** The largest datagram payload, bytes: 65,535 less the IPv4 (20) and UDP (8) headers. */
export const MAX_DATAGRAM_IPV4 = 65_507;
/** The largest IPv6 datagram payload without jumbograms: 65,535 less the UDP header. */
export const MAX_DATAGRAM_IPV6 = 65_527;

/** One send: the bytes, where to (no host: the connected peer), and whether they are ours. */
export interface SendCall {
  readonly data: Uint8Array;
  /** Undefined for `send`, which goes to the connected peer. */
  readonly host: string | undefined;
  readonly port: number;
  /** The bytes were made for this call (from a string), so they need no copy. */
  readonly owned: boolean;
}

/** How a receive into a buffer behaves: `MSG_PEEK` and `MSG_TRUNC`. */
export interface IntoFlags {
  readonly peek: boolean;
  readonly trunc: boolean;
}

/** The datagram and its sender; a copy when peeking or truncating (the rest is discarded). */
export function recvFrom(
  t: Datagram,
  n: number,
  peek: boolean,
  op: string,
): [Buffer, Address] | typeof NOT_READY {
  if (t.pending !== null) throw t.takeError(op);
  if (t.rx.length === 0) return NOT_READY;
  const from = t.rx.from;
  return [recv(t, n, peek, op) as Buffer, t.sender(from)];
}

/** The datagram alone (see {@link recvFrom}). */
export function recv(t: Datagram, n: number, peek: boolean, op: string): Buffer | typeof NOT_READY {
  if (t.pending !== null) throw t.takeError(op);
  const rx = t.rx;
  if (rx.length === 0) return NOT_READY;
  const data = rx.data;
  if (data.length > n) {
    const out = Buffer.allocUnsafe(n);
    out.set(data.subarray(0, n));
    if (!peek) rx.shift();
    return out;
  }
  if (!peek) {
    rx.shift();
    // Node made this Buffer for this datagram alone: it is the caller's now.
    return data;
  }
  return Buffer.from(data);
}

/** Fills `buffer` with up to `n` bytes of the datagram: `[count, sender]` (see {@link recvInto}). */
export function recvFromInto(
  t: Datagram,
  buffer: Uint8Array,
  n: number,
  flags: IntoFlags,
  op: string,
): [number, Address] | typeof NOT_READY {
  if (t.pending !== null) throw t.takeError(op);
  if (t.rx.length === 0) return NOT_READY;
  const from = t.rx.from;
  return [recvInto(t, buffer, n, flags, op) as number, t.sender(from)];
}

/** Fills `buffer` with up to `n` bytes of the datagram; the count, or with `trunc` its length. */
export function recvInto(
  t: Datagram,
  buffer: Uint8Array,
  n: number,
  flags: IntoFlags,
  op: string,
): number | typeof NOT_READY {
  if (t.pending !== null) throw t.takeError(op);
  const rx = t.rx;
  if (rx.length === 0) return NOT_READY;
  const data = rx.data;
  const length = data.length;
  const count = Math.min(length, n);
  if (count === length) buffer.set(data);
  else buffer.set(data.subarray(0, count));
  if (!flags.peek) rx.shift();
  return flags.trunc ? length : count;
}

/**
 * Hands one datagram to Node: to `call.host` and `call.port`, or (no host) to the connected
 * peer. Returns its length. Waits while the send queue is full or a connect is under way.
 */
export function sendTo(t: Datagram, call: SendCall, op: string): number | typeof NOT_READY {
  const { data, host, port } = call;
  if (host === undefined) {
    if (t.connectState === "none" || t.connectState === "failed") {
      throw new SocketError("EDESTADDRREQ", { op });
    }
  } else {
    checkDestination(t, host, port, op);
  }
  if (t.pending !== null) throw t.takeError(op);
  const max = t.family === AF_INET6 ? MAX_DATAGRAM_IPV6 : MAX_DATAGRAM_IPV4;
  if (data.length > max) {
    throw new SocketError(
      "EMSGSIZE",
      { op, address: host === undefined ? t.label : formatAddress([host, port]) },
      `message too long (${data.length} bytes, at most ${max})`,
    );
  }
  if (t.connectState === "connecting" || !t.hasRoom(data.length)) return NOT_READY;
  const bytes = call.owned ? data : Buffer.from(data);
  const peer = t.peer;
  if (host === undefined || (peer !== undefined && peer.port === port && peer.address === host)) {
    t.send(bytes);
  } else if (peer !== undefined) {
    t.sendAside(bytes, port, host);
  } else {
    t.send(bytes, port, host);
  }
  return data.length;
}

/** Refuses a destination as Linux would before sending: port 0 or an address of the other family. */
function checkDestination(t: Datagram, host: string, port: number, op: string): void {
  if (port === 0) {
    throw new SocketError(
      "EINVAL",
      { op, address: formatAddress([host, port]) },
      "port 0 is not a destination",
    );
  }
  // A socket mostly sends to the same few hosts: the last one checked is remembered.
  if (host === lastHost && t.family === lastFamily) return;
  const literal = isIP(host);
  if (literal !== 0 && literal !== (t.family === AF_INET6 ? 6 : 4)) {
    throw new AddressInfoError("EAI_ADDRFAMILY", { op, address: formatAddress([host, port]) });
  }
  lastHost = host;
  lastFamily = t.family;
}

/** The last destination host that passed {@link checkDestination}, and its socket's family. */
let lastHost = "";
let lastFamily = 0;
