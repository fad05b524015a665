/**
 * Every reach into `node:dgram`'s undocumented internals, in one place, each feature-detected
 * with a fallback on the documented API:
 *
 * - a socket's handle, kept under the state symbol (`dgram.Socket#_handle` would do, but reading
 *   it prints a deprecation warning): its `fd` (`fileno()`, else −1), and its `bind`, to bind the
 *   port a disconnect released again (else connecting again may change the local port);
 * - the handle's `send` with a `SendWrap` request (`process.binding("udp_wrap")`), what
 *   `dgram.Socket#send` itself calls once it has resolved the address: a datagram to an IP
 *   address is sent in the call, so the kernel's answer (sent, queued, or refused with an
 *   errno) is known at once, without `send`'s two ticks (else `dgram.Socket#send`).
 *
 * Node.js has all of them. Deno keeps its state under another symbol and its handle has no
 * `fd` (its disconnect keeps the port anyway); Bun's handle has an `fd` but cannot bind or send.
 */

import type * as dgram from "node:dgram";

/** What sockit uses of a `dgram.Socket`'s handle (Node's UDP wrap). */
interface Handle {
  readonly fd?: unknown;
  bind?(ip: string, port: number, flags: number): number;
  send?(req: object, list: Uint8Array[], count: number, ...rest: unknown[]): number;
}

/** The symbol under which `node:dgram` keeps a socket's state (found on first use). */
let stateSymbol: symbol | null | undefined;

function handleOf(socket: dgram.Socket): Handle | undefined {
  if (stateSymbol === undefined) {
    // Node.js calls it "state symbol", Deno "kStateSymbol".
    stateSymbol =
      Object.getOwnPropertySymbols(socket).find(
        (s) => s.description === "state symbol" || s.description === "kStateSymbol",
      ) ?? null;
  }
  if (stateSymbol === null) return undefined;
  const state = (socket as unknown as Record<symbol, { handle?: Handle | null }>)[stateSymbol];
  return state?.handle ?? undefined;
}

/** The OS descriptor of a datagram socket, or −1. */
export function datagramFd(socket: dgram.Socket): number {
  const fd = handleOf(socket)?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : -1;
}

/** Binds the socket's handle again to `ip` and `port` (after a disconnect released the port). */
export function rebind(socket: dgram.Socket, ip: string, port: number, flags: number): void {
  handleOf(socket)?.bind?.(ip, port, flags);
}

/** Node's send request class, where the runtime lets us make one (null elsewhere). */
const SendWrap: (new () => object) | null = (() => {
  if (typeof process.versions.bun === "string" || typeof process.versions.deno === "string") {
    return null;
  }
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding("udp_wrap");
    const wrap = (binding as { SendWrap?: unknown }).SendWrap;
    return typeof wrap === "function" ? (wrap as new () => object) : null;
  } catch {
    return null;
  }
})();

/** What a queued send carries until it ends: who sent it and what it cost. */
export interface SendTag {
  readonly owner: unknown;
  readonly cost: number;
}

/** Called when a queued send ends: 0 or a negative errno (`this` is the request's tag). */
export type SendDone = (this: SendTag, status: number) => void;

/**
 * Sends `data` (kept unchanged by the caller until `done`) to `ip` and `port`, or without them
 * on a connected socket, straight on the handle of a bound socket. Returns `data.length + 1`
 * when the kernel took it at once, 0 when libuv queued it (then `done` is called, with `this`
 * holding `owner` and `cost`), a negative errno when the kernel refused it; or undefined where
 * sockit cannot send this way (then use `dgram.Socket#send`).
 */
export function sendNow(
  socket: dgram.Socket,
  data: Uint8Array,
  port: number | undefined,
  ip: string | undefined,
  tag: SendTag,
  done: SendDone,
): number | undefined {
  if (SendWrap === null) return undefined;
  const handle = handleOf(socket);
  if (typeof handle?.send !== "function") return undefined;
  const req = new SendWrap() as {
    list: Uint8Array[];
    owner: unknown;
    cost: number;
    oncomplete: SendDone;
  };
  const list = [data];
  req.list = list; // kept alive until libuv is done with it
  req.owner = tag.owner;
  req.cost = tag.cost;
  req.oncomplete = done;
  return port === undefined
    ? handle.send(req, list, 1, true)
    : handle.send(req, list, 1, port, ip, true);
}
