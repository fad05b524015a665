/**
 * Every reach into `node:net`'s undocumented internals, in one place, each feature-detected with
 * a documented fallback:
 *
 * - the `onread` option calling its callback with the `net.Socket` as `this`, and a buffer
 *   function being asked for the next read's buffer after each read; a listening
 *   server's handle whose `onconnection` sockit takes over to wrap each accepted handle itself
 *   (reads then go through one shared buffer, with no allocation per read);
 * - `_handle.fd`, the OS descriptor (`fileno()`);
 * - `_writableState.highWaterMark`, lowered to 0 on sockets Node created (see stream.ts);
 * - `_destroy`, overridden to keep a connection's local name as Node destroys it;
 * - libuv's version (`process.versions.uv`): whether a stream must read once more at its end;
 * - `process.binding("tcp_wrap")`, the TCP handles `net.Socket` is made of, for the connections
 *   `sockit/sync` makes and hands over at once (a connection without a `net.Socket` around it
 *   costs half as much to open and close).
 *
 * Node.js and Deno have all of them. Bun's `node:net` calls `onread`'s callback with another
 * `this` and cannot read from a socket made from one of its accepted handles: there, streams read
 * through `'data'` events and accepted connections come from the server's `'connection'` event,
 * the documented API every runtime implements.
 */

import * as net from "node:net";

/** Whether `onread` and the accept takeover work as on Node.js (not on Bun). */
export const ONREAD_HOOKS: boolean = typeof process.versions.bun !== "string";

/**
 * Whether `onread.buffer` may be a function (documented) that Node.js calls after every read
 * for the buffer of the next one (its `stream_base_commons`), so a stream can read large chunks
 * into memory of its own. Node.js only; elsewhere every read goes to the shared scratch buffer.
 * Nothing depends on the call timing: each read reports the buffer it used.
 */
export const READ_BUFFER_CHOICE: boolean =
  ONREAD_HOOKS && typeof process.versions.deno !== "string";

/**
 * Whether `fs.readSync` can read a socket's `_handle.fd` (Node.js and Bun). Deno gives Unix
 * sockets a number there that its `fs` does not know (EBADF), so sockit never reads it itself.
 */
export const READABLE_DESCRIPTOR: boolean = typeof process.versions.deno !== "string";

/**
 * Whether a stream must read once more when Node reports its end, to tell a reset from a clean
 * end. libuv before 1.52 (Node.js 20 bundles 1.46) reports the end without reading again when a
 * read came up short while the kernel also said POLLHUP, so a reset that came with the last data
 * (reading paused on a full buffer, or the loop busy) would pass for a clean end; libuv 1.52
 * reads as long as the kernel says there is data. Unknown versions read.
 */
export const END_NEEDS_READ: boolean = !libuvAtLeast(1, 52);

function libuvAtLeast(major: number, minor: number): boolean {
  const [a, b] = (process.versions.uv ?? "").split(".").map(Number);
  if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b)) return false;
  return a > major || (a === major && b >= minor);
}

interface ServerHandle {
  onconnection?: (error: number, handle: unknown) => void;
}

/** The OS descriptor of a socket or server, or −1 when it has none (or the runtime hides it). */
export function descriptorOf(owner: net.Socket | net.Server | undefined): number {
  const fd = (owner as { _handle?: { fd?: unknown } } | undefined)?._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : -1;
}

/**
 * Replaces a listening server's accept callback: `accepted(handle)` gets each new connection's
 * raw handle (errors still go to Node's callback, which emits `'error'`). False where the
 * runtime has no such hook; then connections come through `'connection'`.
 */
export function takeOverAccept(server: net.Server, accepted: (handle: unknown) => void): boolean {
  if (!ONREAD_HOOKS) return false;
  const handle = (server as unknown as { _handle?: ServerHandle })._handle;
  const original = handle?.onconnection;
  if (typeof original !== "function") return false;
  handle!.onconnection = (error: number, clientHandle: unknown) => {
    if (error !== 0 || clientHandle === undefined) original.call(handle, error, clientHandle);
    else accepted(clientHandle);
  };
  return true;
}

/** Closes a raw accepted handle (refusing the connection). */
export function closeHandle(handle: unknown): void {
  (handle as { close?: () => void }).close?.();
}

/** Lowers the write high-water mark of a socket Node created with the default one. */
export function setWriteHighWaterMark(socket: net.Socket, bytes: number): void {
  const state = (socket as unknown as { _writableState?: { highWaterMark: number } })
    ._writableState;
  if (state !== undefined) state.highWaterMark = bytes;
}

/** What the object that owns a `net.Socket` hears from it. */
export interface SocketOwner {
  /**
   * Called from `_destroy`, while the socket's handle (and descriptor) still answers, with the
   * error that destroys it, if any (OwnSocket only).
   */
  beforeDestroy(error: Error | null): void;
}

const OWNER: unique symbol = Symbol("sockit.owner");
type Owned<T> = net.Socket & { [OWNER]?: T };

/**
 * Records `owner` as the owner of `socket`: sockit's listeners on a `net.Socket` are shared by
 * every socket (no closure per connection), so each finds its owner through the socket.
 */
export function setOwner<T extends SocketOwner>(socket: net.Socket, owner: T): void {
  (socket as Owned<T>)[OWNER] = owner;
}

/** The owner recorded for `socket` (every socket a shared listener hears has one). */
export function ownerOf<T extends SocketOwner>(socket: net.Socket): T {
  return (socket as Owned<T>)[OWNER]!;
}

/** The `net.Socket` of the connections sockit makes: it tells its owner before it is destroyed. */
export class OwnSocket extends net.Socket {
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    (this as Owned<SocketOwner>)[OWNER]?.beforeDestroy(error);
    super._destroy(error, callback);
  }
}

/** Node's `onread` option: the buffer each read lands in (or what picks it), and who hears it. */
export interface OnRead {
  readonly buffer: Uint8Array | (() => Uint8Array);
  readonly callback: (this: net.Socket, nread: number, buf: Uint8Array) => boolean;
}

/**
 * Makes the `net.Socket` of a sockit connection: over `handle` (one Node accepted) or, with
 * `undefined`, without one yet (to connect); half-close allowed; a high-water mark of 0 (every
 * queued byte is reported by 'drain', see stream.ts); reading through `onread` where given.
 *
 * The options also name `emitClose`, `autoDestroy` and `decodeStrings`, with the values
 * `net.Socket` gives them itself. On Node.js 20, a `net.Socket` adds those three to its copy of
 * the options when they are missing, and that copy then takes a slow path in V8: constructing
 * one cost 9–12 µs instead of under 1 µs (a connection's whole open and close, 15 against 4 µs).
 * The object must be a literal with every property, as here: the same properties spread into
 * it from another object are slow again. Node.js 24 is fast either way.
 */
export function newOwnSocket(handle: unknown, onread: OnRead | undefined): net.Socket {
  return new OwnSocket({
    handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    writableHighWaterMark: 0,
    onread,
    emitClose: false,
    autoDestroy: true,
    decodeStrings: false,
  } as net.SocketConstructorOpts);
}

/** A handle's calls that the readiness probe and blocking mode use (Node.js only). */
interface ProbeHandle {
  fd?: number;
  useUserBuffer?(buffer: Uint8Array): void;
  onread?: unknown;
  readStart?(): number;
  readStop?(): number;
  setBlocking?(blocking: boolean): number;
}

/** Whether {@link readinessProbe} works on `socket` (Node.js; not Bun or Deno). */
export function canProbe(socket: net.Socket): boolean {
  return isProbeHandle((socket as unknown as { _handle?: ProbeHandle })._handle);
}

function isProbeHandle(handle: ProbeHandle | undefined): handle is Required<ProbeHandle> {
  return (
    ONREAD_HOOKS &&
    typeof handle?.useUserBuffer === "function" &&
    typeof handle.readStart === "function" &&
    typeof handle.readStop === "function"
  );
}

/** The zero-length buffer probes read into: kept referenced, as native code holds its address. */
const PROBE_BUFFER = Buffer.alloc(0);

/** A readiness probe: `arm()` asks for one report; `stop()` ends it (no report after it). */
export interface Probe {
  arm(): void;
  stop(): void;
}

/**
 * Turns a paused socket's handle into a readiness probe: after `arm()`, `ready()` is called once
 * when the descriptor becomes readable (data, end of stream, an error), WITHOUT reading: libuv
 * offers the zero-length buffer, gets no room, and reports that instead of calling read(2). So
 * another reader of the descriptor loses nothing. Undefined where the runtime has no such hook.
 */
export function readinessProbe(socket: net.Socket, ready: () => void): Probe | undefined {
  const handle = (socket as unknown as { _handle?: ProbeHandle })._handle;
  if (!isProbeHandle(handle)) return undefined;
  return handleProbe(handle, () => !socket.destroyed, ready);
}

/** {@link readinessProbe} on a bare handle, which is usable while `alive()` says so. */
function handleProbe(
  handle: Required<ProbeHandle>,
  alive: () => boolean,
  ready: () => void,
): Probe {
  handle.useUserBuffer(PROBE_BUFFER);
  let stopped = false;
  handle.onread = (): undefined => {
    handle.readStop();
    if (!stopped) ready();
    return undefined; // anything else would be taken as the next buffer to read into
  };
  // Starts watching on the next turn of the loop, not now. An arm often comes from a message
  // handled in the middle of libuv's batch of events; that batch may hold a readiness event for
  // this descriptor collected before another thread read the data, and a watcher started now
  // would be handed that stale event (a select reported the socket readable with nothing to
  // read). Once the batch is over, the next poll sees the descriptor as it is.
  let pending = false;
  const start = (): void => {
    pending = false;
    if (!stopped && alive()) handle.readStart();
  };
  return {
    arm: () => {
      if (pending || stopped) return;
      pending = true;
      setImmediate(start);
    },
    stop: () => {
      stopped = true;
      if (alive()) handle.readStop();
    },
  };
}

/** Puts a socket's descriptor in blocking mode or back; false where the runtime cannot. */
export function setDescriptorBlocking(socket: net.Socket, blocking: boolean): boolean {
  const handle = (socket as unknown as { _handle?: ProbeHandle })._handle;
  if (typeof handle?.setBlocking !== "function") return false;
  return handle.setBlocking(blocking) === 0;
}

/** A TCP handle of `node:net` (the C++ object under a `net.Socket`), as bare connections use it. */
export interface TcpHandle extends Required<ProbeHandle> {
  readonly fd: number;
  connect(request: object, host: string, port: number): number;
  connect6(request: object, host: string, port: number): number;
  setBlocking(blocking: boolean): number;
  reset(callback?: () => void): number;
  close(callback?: () => void): void;
}

interface TcpBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => { oncomplete?: (status: number) => void };
  constants: { SOCKET: number };
}

/**
 * Opens a TCP connection to a numeric `host` with a bare handle: `done` gets 0, or a negative
 * errno (libuv's) and then owns closing the handle. Returns the handle at once (closing it gives
 * up: `done` then hears UV_ECANCELED), or undefined where the runtime has no bare handles (only
 * Node.js has them: Bun has no `process.binding`, and Deno's handles have no descriptor its `fs`
 * can use).
 */
export function connectBare(
  host: string,
  port: number,
  ipv6: boolean,
  done: (status: number) => void,
): TcpHandle | undefined {
  const binding = tcpBinding();
  if (binding === undefined) return undefined;
  const handle = new binding.TCP(binding.constants.SOCKET);
  const request = new binding.TCPConnectWrap();
  request.oncomplete = done;
  const status = ipv6 ? handle.connect6(request, host, port) : handle.connect(request, host, port);
  if (status !== 0) queueMicrotask(() => done(status));
  return handle;
}

/** Whether {@link connectBare} works here. */
export function canConnectBare(): boolean {
  return tcpBinding() !== undefined;
}

/** {@link readinessProbe} on a bare connection (see {@link connectBare}) until it is closed. */
export function bareProbe(handle: TcpHandle, alive: () => boolean, ready: () => void): Probe {
  return handleProbe(handle, alive, ready);
}

let binding: TcpBinding | null | undefined;

function tcpBinding(): TcpBinding | undefined {
  if (binding === undefined) {
    binding = null;
    if (ONREAD_HOOKS && READABLE_DESCRIPTOR) {
      try {
        const found = (
          process as unknown as { binding(name: string): Partial<TcpBinding> }
        ).binding("tcp_wrap");
        if (typeof found.TCP === "function" && typeof found.TCPConnectWrap === "function") {
          binding = found as TcpBinding;
        }
      } catch {
        // No bare handles here: connections are made with net.Socket.
      }
    }
  }
  return binding ?? undefined;
}
