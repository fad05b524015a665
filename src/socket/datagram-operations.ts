/**
 * The operations table of datagram sockets: the waiting calls of a `SOCK_DGRAM` socket, each an
 * entry as in operations.ts (argument checks, direction, one attempt over datagram-calls.ts).
 * `Socket` runs these entries for `bind`, `connect`, `send`, `recv` and `recvInto` when it is a
 * datagram socket, and for `sendTo`, `recvFrom` and `recvFromInto` always (on a stream socket
 * their attempt raises `EOPNOTSUPP`).
 *
 * `bind` and `connect` wait whatever the mode: a UDP socket binds and connects at once (Node
 * only resolves the address first), so neither is ever "in progress".
 */

import { isIP } from "node:net";
import { checkSize, describe, isSize, toBytes } from "../core/checks.js";
import { AF_INET6, MSG_PEEK, MSG_TRUNC } from "../core/constants.js";
import { AddressInfoError, SocketError } from "../core/errors.js";
import { type Address, type AddressInput, type Endpoint, formatAddress } from "../net/address.js";
import type { Datagram } from "./datagram.js";
import * as calls from "./datagram-calls.js";
import type { Descriptor } from "./descriptor.js";
import { NOT_READY, type Operation, type WaitOptions } from "./operation.js";
import { checkSendFlags, type Data, lastOptions, type RecvOptions } from "./operations.js";

/** An entry of this table: it runs on the insides of an async socket (a {@link Descriptor}). */
export type DatagramOperation<Args extends unknown[], P, R> = Operation<Descriptor, Args, P, R>;

/** A `bind` or `connect` of a datagram socket: where, and whether it has started. */
interface AddressCall {
  readonly endpoint: Endpoint;
  started: boolean;
}

/** `bind(address)` on a datagram socket: binds now; resolves once bound. */
export const DGRAM_BIND: DatagramOperation<[address: AddressInput], AddressCall, undefined> = {
  name: "bind",
  direction: "write",
  ignoresMode: true,
  prepare: (d, address) => ({
    endpoint: d.endpoint(address, "bind"),
    started: false,
  }),
  options: () => undefined,
  attempt: (d, call) => {
    const t = d.datagram("bind");
    if (!call.started) {
      if (t.bindState === "binding" || t.bindState === "bound") {
        throw new SocketError(
          "EINVAL",
          { op: "bind", address: t.label },
          "socket is already bound",
        );
      }
      checkFamily(t, call.endpoint, "bind");
      call.started = true;
      t.bind(call.endpoint, d.datagramFlags());
      return NOT_READY;
    }
    if (t.bindState === "bound") return undefined;
    if (t.bindState === "failed") {
      t.bindState = "unbound";
      throw t.takeError("bind");
    }
    return NOT_READY;
  },
};

/** `connect(address)` on a datagram socket: sets the default peer (connecting again moves it). */
export const DGRAM_CONNECT: DatagramOperation<
  [address: AddressInput, options?: WaitOptions],
  AddressCall,
  undefined
> = {
  name: "connect",
  direction: "write",
  ignoresMode: true,
  prepare: (d, address) => ({
    endpoint: d.endpoint(address, "connect"),
    started: false,
  }),
  options: (_address, options) => options,
  attempt: (d, call) => {
    const t = d.datagram("connect");
    const { endpoint } = call;
    if (!call.started) {
      // Another connect under way: this one starts once it has finished.
      if (t.connectState === "connecting") return NOT_READY;
      checkFamily(t, endpoint, "connect");
      if (endpoint.kind !== "ip" || endpoint.port === 0) {
        throw new SocketError(
          "EINVAL",
          { op: "connect", address: formatAddress(endpoint) },
          "port 0 is not a destination",
        );
      }
      call.started = true;
      t.setFlags(d.datagramFlags());
      t.connect(endpoint.host, endpoint.port);
      return NOT_READY;
    }
    if (t.connectState === "connected") return undefined;
    if (t.connectState === "failed") {
      t.connectState = "none";
      throw t.takeError("connect");
    }
    return NOT_READY;
  },
};

/** `sendTo(data, [flags,] address, options?)`: one datagram to `address`; returns its length. */
export const SEND_TO: DatagramOperation<
  [
    data: Data,
    flagsOrAddress: number | AddressInput,
    addressOrOptions?: AddressInput | WaitOptions,
    options?: WaitOptions,
  ],
  calls.SendCall,
  number
> = {
  name: "sendTo",
  direction: "write",
  prepare: (d, data, flagsOrAddress, addressOrOptions) => {
    const flagsGiven = typeof flagsOrAddress === "number";
    if (flagsGiven) checkSendFlags(flagsOrAddress, "sendTo");
    const address = flagsGiven ? addressOrOptions : flagsOrAddress;
    const endpoint = d.endpoint(address, "sendTo");
    const bytes = toBytes(data, "sendTo(): data");
    // A path can only be a stream socket's address: its attempt raises EOPNOTSUPP.
    const [host, port] = endpoint.kind === "ip" ? [endpoint.host, endpoint.port] : ["", 0];
    return { data: bytes, host, port, owned: typeof data === "string" };
  },
  options: (_data, flagsOrAddress, addressOrOptions, options) =>
    typeof flagsOrAddress === "number" ? options : addressOrOptions,
  attempt: (d, call) => calls.sendTo(d.datagram("sendTo"), call, "sendTo"),
};

/** `send(data, flags?, options?)` on a datagram socket: one datagram to the connected peer. */
export const DGRAM_SEND: DatagramOperation<
  [data: Data, flags?: number | WaitOptions, options?: WaitOptions],
  calls.SendCall,
  number
> = {
  name: "send",
  direction: "write",
  prepare: (_d, data, flags) => {
    checkSendFlags(flags, "send");
    const bytes = toBytes(data, "send(): data");
    return { data: bytes, host: undefined, port: 0, owned: typeof data === "string" };
  },
  options: lastOptions,
  attempt: (d, call) => calls.sendTo(d.datagram("send"), call, "send"),
};

/** A receive that peeks (MSG_PEEK): rare, so only it allocates. */
interface Peek {
  readonly peek: number;
}

/** `recvFrom(bufsize, flags?, options?)`: one datagram (truncated to `bufsize`) and its sender. */
export const RECV_FROM: DatagramOperation<
  [bufsize: number, flags?: number | RecvOptions, options?: RecvOptions],
  number | Peek,
  [Buffer, Address]
> = {
  name: "recvFrom",
  direction: "read",
  prepare: (_d, bufsize, flags, options) => {
    const n = checkSize(bufsize, "recvFrom(): bufsize");
    return receiveFlags(flags, options, "recvFrom", false) === PEEK ? { peek: n } : n;
  },
  options: lastOptions,
  attempt: (d, arg) => {
    const t = d.datagram("recvFrom");
    if (typeof arg === "number") return calls.recvFrom(t, arg, false, "recvFrom");
    return calls.recvFrom(t, arg.peek, true, "recvFrom");
  },
};

/** `recv(bufsize, flags?, options?)` on a datagram socket: one datagram, without its sender. */
export const DGRAM_RECV: DatagramOperation<
  [bufsize: number, flags?: number | RecvOptions, options?: RecvOptions],
  number | Peek,
  Buffer
> = {
  name: "recv",
  direction: "read",
  prepare: (_d, bufsize, flags, options) => {
    const n = checkSize(bufsize, "recv(): bufsize");
    return receiveFlags(flags, options, "recv", false) === PEEK ? { peek: n } : n;
  },
  options: lastOptions,
  attempt: (d, arg) => {
    const t = d.datagram("recv");
    if (typeof arg === "number") return calls.recv(t, arg, false, "recv");
    return calls.recv(t, arg.peek, true, "recv");
  },
};

/** What a receive into a buffer fills. */
interface IntoCall {
  readonly buffer: Uint8Array;
  readonly n: number;
  readonly flags: calls.IntoFlags;
}

type IntoArgs = [
  buffer: Uint8Array,
  nbytes?: number | RecvOptions,
  flags?: number | RecvOptions,
  options?: RecvOptions,
];

/** `recvFromInto(buffer, nbytes?, flags?, options?)`: fills `buffer`; `[count, sender]`. */
export const RECV_FROM_INTO: DatagramOperation<IntoArgs, IntoCall, [number, Address]> = {
  name: "recvFromInto",
  direction: "read",
  prepare: (_d, buffer, nbytes, flags, options) =>
    intoCall(buffer, nbytes, flags, options, "recvFromInto"),
  options: lastOptions,
  attempt: (d, call) =>
    calls.recvFromInto(d.datagram("recvFromInto"), call.buffer, call.n, call.flags, "recvFromInto"),
};

/** `recvInto(buffer, nbytes?, flags?, options?)` on a datagram socket: fills `buffer`; the count. */
export const DGRAM_RECV_INTO: DatagramOperation<IntoArgs, IntoCall, number> = {
  name: "recvInto",
  direction: "read",
  prepare: (_d, buffer, nbytes, flags, options) =>
    intoCall(buffer, nbytes, flags, options, "recvInto"),
  options: lastOptions,
  attempt: (d, call) =>
    calls.recvInto(d.datagram("recvInto"), call.buffer, call.n, call.flags, "recvInto"),
};

/** Every entry, for code that goes over all of them (tests, the synchronous flavour). */
export const DATAGRAM_OPERATIONS = {
  bind: DGRAM_BIND,
  connect: DGRAM_CONNECT,
  send: DGRAM_SEND,
  sendTo: SEND_TO,
  recv: DGRAM_RECV,
  recvInto: DGRAM_RECV_INTO,
  recvFrom: RECV_FROM,
  recvFromInto: RECV_FROM_INTO,
} as const;

/** An address of the other family is refused as getaddrinfo refuses it (EAI_ADDRFAMILY). */
function checkFamily(t: Datagram, endpoint: Endpoint, op: string): void {
  if (endpoint.kind !== "ip") return;
  const literal = isIP(endpoint.host);
  if (literal !== 0 && literal !== (t.family === AF_INET6 ? 6 : 4)) {
    throw new AddressInfoError("EAI_ADDRFAMILY", { op, address: formatAddress(endpoint) });
  }
}

const NONE: calls.IntoFlags = Object.freeze({ peek: false, trunc: false });
const PEEK: calls.IntoFlags = Object.freeze({ peek: true, trunc: false });
const TRUNC: calls.IntoFlags = Object.freeze({ peek: false, trunc: true });
const PEEK_TRUNC: calls.IntoFlags = Object.freeze({ peek: true, trunc: true });

/**
 * Python's `flags` of a datagram receive, positional or in the options: `MSG_PEEK`, and for the
 * calls that fill a buffer `MSG_TRUNC` (the result is then the datagram's real length).
 */
function receiveFlags(
  flags: unknown,
  options: unknown,
  op: string,
  truncAllowed: boolean,
): calls.IntoFlags {
  let value = flags;
  if (typeof flags === "object" && flags !== null) value = (flags as RecvOptions).flags;
  else if (flags === undefined && typeof options === "object" && options !== null) {
    value = (options as RecvOptions).flags;
  }
  if (value === undefined || value === 0) return NONE;
  if (value === MSG_PEEK) return PEEK;
  if (truncAllowed && value === MSG_TRUNC) return TRUNC;
  if (truncAllowed && value === (MSG_PEEK | MSG_TRUNC)) return PEEK_TRUNC;
  const allowed = truncAllowed ? "MSG_PEEK, MSG_TRUNC or both" : "MSG_PEEK";
  if (!isSize(value)) {
    throw new TypeError(`${op}(): flags must be 0 or ${allowed}, got ${describe(value)}`);
  }
  throw new SocketError("EOPNOTSUPP", { op }, `unsupported flags ${value} (only ${allowed})`);
}

/** The arguments of `recvInto`/`recvFromInto`, checked as for stream sockets. */
function intoCall(
  buffer: unknown,
  nbytes: unknown,
  flags: unknown,
  options: unknown,
  op: string,
): IntoCall {
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(`${op}(): buffer must be a Uint8Array, got ${describe(buffer)}`);
  }
  let n = buffer.length;
  if (typeof nbytes === "object") {
    [flags, options] = [nbytes, undefined];
  } else if (nbytes !== undefined && nbytes !== 0) {
    n = checkSize(nbytes, `${op}(): nbytes`);
    if (n > buffer.length) {
      throw new RangeError(`${op}(): nbytes ${n} is larger than the buffer (${buffer.length})`);
    }
  }
  return { buffer, n, flags: receiveFlags(flags, options, op, true) };
}
