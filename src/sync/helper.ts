/**
 * The helper thread of `sockit/sync`: one worker per process that runs the async API on behalf
 * of every thread that uses the synchronous one (see bridge.ts for how a thread finds it).
 *
 * It holds the sockets and selectors those threads opened, keyed by ids unique in the process
 * (so a socket can be used from any thread that knows its id), and answers requests by calling
 * the async API, whose mode policy, timeouts, deadlines and errors are therefore the very same.
 *
 * Where the runtime allows it, a connected stream is handed over: the thread then reads and
 * writes its descriptor itself, and the helper only watches it with a probe that reads nothing
 * (node-internals.ts) and wakes the thread when it becomes readable, and closes it when asked.
 *
 * The helper never blocks: every request is handled on its event loop. It prints nothing (its
 * output would go through the blocked thread that started it).
 */

import { BroadcastChannel, type MessagePort, workerData } from "node:worker_threads";
import {
  createConnection,
  createServer,
  DefaultSelector,
  EVENT_READ,
  getaddrinfo,
  SO_LINGER,
  SOL_SOCKET,
  type Socket,
  SocketError,
  socket,
  socketpair,
} from "../index.js";
import { setDescriptorBlocking } from "../socket/node-internals.js";
import { descriptorOf } from "../socket/socket.js";
import { BareConnection, connectBareConnection } from "./bare.js";
import { broadcastLine, Link, type Methods, portLine } from "./helper-link.js";
import {
  closeContext,
  connectionOptions,
  isTls,
  openContext,
  type TlsInfo,
  tlsInfoOf,
  type WireConnectionOptions,
  wrapWith,
} from "./helper-tls.js";
import { HEARTBEAT, HEARTBEAT_MS, HELLO_CHANNEL, type Hello, STARTED } from "./protocol.js";

/** A connected stream the thread now reads and writes itself. */
export interface Direct {
  /** The descriptor. */
  readonly fd: number;
  /** What the helper had read before the hand-over, if anything: the thread takes it first. */
  readonly leftover?: Uint8Array | undefined;
  /** The peer's address, for messages. */
  readonly label: string;
  /** Whether the helper has already put the descriptor in blocking mode, as the thread asked. */
  readonly blocking?: boolean;
}

/** What the thread that made or accepted a socket needs to know of it. */
export interface SocketInfo {
  readonly id: number;
  readonly family: number;
  readonly type: number;
  readonly direct?: Direct | undefined;
  /** For a TLS socket: what its session is. */
  readonly tls?: TlsInfo | undefined;
}

/** The answer to a call on a socket: its value, and the hand-over once there is one. */
export interface CallResult {
  readonly value: unknown;
  readonly direct?: Direct | undefined;
}

/**
 * Every socket and selector the helper holds, by id. A connection made with a bare handle
 * (bare.ts) becomes a socket the first time a call needs one (see {@link socketOf}).
 */
const sockets = new Map<number, Socket | BareConnection>();
const selectors = new Map<number, DefaultSelector<Socket, number>>();
let nextId = 1;

/** Bytes a thread had read but not taken when it detached a socket: the next adopter's. */
const detached = new Map<number, Uint8Array>();

/** The handed-over sockets: how to ask their probe for one report, and who waits for it. */
interface Watched {
  /** Asks the probe for one report. */
  readonly arm: () => void;
  /** Calls `ready` when the probe reports the socket readable; returns how to stop. */
  readonly watch: (ready: () => void) => () => void;
  /** The threads waiting for the socket to become readable, with their wait's number. */
  readonly waiters: Map<Link, number>;
  stop: (() => void) | undefined;
}
const watched = new Map<number, Watched>();

function register(sock: Socket, blocking = false): SocketInfo {
  const id = nextId++;
  sockets.set(id, sock);
  const tls = tlsInfoOf(sock);
  return { id, family: sock.family, type: sock.type, direct: handOver(id, sock, blocking), tls };
}

/**
 * Hands a connected stream over to its thread, once, where the runtime allows it; with
 * `blocking`, in blocking mode already (saving the thread's first blocking call a request).
 */
function handOver(id: number, sock: Socket, blocking = false): Direct | undefined {
  if (watched.has(id) || isTls(sock)) return undefined;
  const stream = descriptorOf(sock).openStream();
  const handed = stream?.handOver();
  if (stream === undefined || handed === undefined) return undefined;
  const readiness = descriptorOf(sock).readiness;
  const watch = (ready: () => void): (() => void) =>
    readiness.observe(() => {
      if (readiness.readable()) ready();
    });
  watched.set(id, { arm: handed.arm, watch, waiters: new Map(), stop: undefined });
  const kernel = blocking && setDescriptorBlocking(stream.socket, true);
  const leftover = handed.leftover.length > 0 ? handed.leftover : undefined;
  return { fd: handed.fd, leftover, label: stream.label, blocking: kernel };
}

/** Registers a bare connection, handed over at once (with `blocking`, in blocking mode). */
function registerBare(bare: BareConnection, blocking: boolean): SocketInfo {
  const id = nextId++;
  sockets.set(id, bare);
  const watch = (ready: () => void): (() => void) => bare.watch(ready);
  watched.set(id, { arm: () => bare.arm(), watch, waiters: new Map(), stop: undefined });
  const kernel = blocking && bare.setBlocking(true);
  // Nothing was read before the hand-over: no leftover to copy into the reply.
  const direct = { fd: bare.fileno(), label: bare.label, blocking: kernel };
  return { id, family: bare.family, type: bare.type, direct };
}

/** Stops watching socket `id` for its thread: whoever waits for it tries again. */
function unwatch(id: number): void {
  const entry = watched.get(id);
  if (entry === undefined) return;
  entry.stop?.();
  watched.delete(id);
  for (const [waiter, waiting] of entry.waiters) waiter.event(waiting);
}

/**
 * Takes a handed-over stream back from its thread (TLS starts over it here): the probe stops,
 * the descriptor is non-blocking again, and `unread`, what the thread had read and not taken,
 * goes back into the stream's receive buffer (empty since the hand-over: the helper reads
 * nothing meanwhile), so the next reader gets it first. A later call hands it over again.
 */
function reclaim(id: number, unread: Uint8Array): Socket {
  const sock = socketOf(id);
  if (!watched.has(id)) return sock;
  // Another thread waiting for it to become readable tries again (and finds it gone).
  unwatch(id);
  const stream = descriptorOf(sock).openStream();
  if (stream !== undefined) {
    setDescriptorBlocking(stream.socket, false);
    if (unread.length > 0) stream.rx.push(Buffer.from(unread));
  }
  return sock;
}

/** The socket `id`; a bare connection becomes one now, still handed over to its thread. */
function socketOf(id: unknown): Socket {
  const held = sockets.get(id as number);
  if (held === undefined) throw new Error(`no socket ${String(id)} in the helper`);
  if (!(held instanceof BareConnection)) return held;
  const sock = held.toSocket();
  sockets.set(id as number, sock);
  // The socket's stream probes from now on: a waiting thread tries again, then asks it.
  unwatch(id as number);
  handOver(id as number, sock);
  return sock;
}

function selectorOf(id: unknown): DefaultSelector<Socket, number> {
  const sel = selectors.get(id as number);
  if (sel === undefined) throw new Error(`no selector ${String(id)} in the helper`);
  return sel;
}

/** The calls a thread can make, each with the thread's link and the arguments it sent. */
const METHODS: Methods = {
  open: (_link, family: number, type: number) => register(socket(family, type)),

  /** A call of the async API on a socket; then the hand-over, once the socket is connected. */
  call: async (_link, id: number, method: string, args: unknown[]): Promise<CallResult> => {
    const sock = socketOf(id) as unknown as Record<string, (...a: unknown[]) => unknown>;
    const value = await sock[method]!(...args);
    if (method === "accept") {
      const [accepted, address] = value as [Socket, unknown];
      return { value: [register(accepted), address] };
    }
    return { value, direct: handOver(id, socketOf(id)) };
  },

  /** Keeps what a thread had read of a socket it detaches, for the thread that adopts it. */
  detach: (_link, id: number, unread: Uint8Array) => {
    if (unread.length > 0) detached.set(id, unread);
  },

  dropped: (_link, id: number) => socketOf(id).dropped,

  /** Whether socket `id` is closed (a failed wrapSocket may have detached it). */
  closed: (_link, id: number) => sockets.get(id)?.closed ?? true,

  tlsContext: (_link, options: object) => openContext(options),
  tlsContextClose: (_link, id: number) => closeContext(id),

  /** Starts TLS on socket `id`, taken back from its thread; the plain socket is detached. */
  wrapSocket: async (_link, context: number, id: number, unread: Uint8Array, options: object) => {
    const tls = await wrapWith(context, reclaim(id, unread), options);
    sockets.delete(id);
    detached.delete(id);
    return register(tls);
  },

  /**
   * A socket another thread holds, by its descriptor (`new Socket(family, type, 0, fd)`). The
   * descriptor comes back in non-blocking mode, as the adopting thread expects it: the thread
   * that detached it may have left it blocking, and a worker must never wait in the kernel.
   */
  adopt: (_link, fd: number): SocketInfo => {
    for (const [id, held] of sockets) {
      if (held.closed || held.fileno() !== fd) continue;
      const leftover = detached.get(id);
      detached.delete(id);
      if (!watched.has(id)) {
        return { id, family: held.family, type: held.type, direct: handOver(id, socketOf(id)) };
      }
      let label: string;
      if (held instanceof BareConnection) {
        held.setBlocking(false);
        label = held.label;
      } else {
        const stream = descriptorOf(held).openStream();
        if (stream !== undefined) setDescriptorBlocking(stream.socket, false);
        label = stream?.label ?? "";
      }
      return { id, family: held.family, type: held.type, direct: { fd, leftover, label } };
    }
    throw new SocketError("EBADF", { op: "socket" }, `descriptor ${fd} is not a sockit socket`);
  },

  /** Wakes the thread when a handed-over socket becomes readable (now, if it is). */
  armRead: (link, id: number, seq: number) => {
    const entry = watched.get(id);
    if (entry === undefined || !sockets.has(id)) {
      link.event(seq);
      return;
    }
    entry.waiters.set(link, seq);
    entry.stop ??= entry.watch(() => {
      entry.stop?.();
      entry.stop = undefined;
      for (const [waiter, waiting] of entry.waiters) waiter.event(waiting);
      entry.waiters.clear();
    });
    entry.arm();
  },

  setBlocking: (_link, id: number, blocking: boolean) => {
    const held = sockets.get(id);
    if (held instanceof BareConnection) return held.setBlocking(blocking);
    const stream = descriptorOf(socketOf(id)).openStream();
    return stream !== undefined && setDescriptorBlocking(stream.socket, blocking);
  },

  close: (_link, id: number, reset: boolean) => {
    const entry = watched.get(id);
    entry?.stop?.();
    watched.delete(id);
    detached.delete(id);
    const held = sockets.get(id);
    sockets.delete(id);
    if (held instanceof BareConnection) {
      held.close(reset);
      return;
    }
    if (reset && held !== undefined && !held.closed) held.setsockopt(SOL_SOCKET, SO_LINGER, 0);
    held?.close();
  },

  /**
   * With `blocking`, the connection comes in blocking mode (see {@link handOver}). A bare
   * connection where one will do (bare.ts), else the async API's.
   */
  createConnection: async (
    _link,
    address: [string, number],
    options: WireConnectionOptions,
    blocking = false,
  ) => {
    const bare = connectBareConnection(address, options);
    if (bare !== undefined) return registerBare(await bare, blocking);
    return register(await createConnection(address, connectionOptions(options)), blocking);
  },
  createServer: async (_link, address: unknown, options: object | undefined) =>
    register(await createServer(address as [string, number], options)),
  socketpair: async (_link, family: number, type: number) =>
    (await socketpair(family, type)).map((sock) => register(sock)),
  getaddrinfo: (_link, host: string | null, port: unknown, options: object) =>
    getaddrinfo(host, port as number, options),

  selectorOpen: () => {
    const id = nextId++;
    selectors.set(id, new DefaultSelector<Socket, number>());
    return id;
  },
  selectorRegister: (_link, id: number, sockId: number, events: number) => {
    selectorOf(id).register(socketOf(sockId), events, sockId);
  },
  selectorModify: (_link, id: number, sockId: number, events: number) => {
    selectorOf(id).modify(socketOf(sockId), events, sockId);
  },
  selectorUnregister: (_link, id: number, sockId: number) => {
    selectorOf(id).unregister(socketOf(sockId));
  },
  /** A select over the handed-over sockets too: each probe is asked again (level-triggered). */
  selectorSelect: async (_link, id: number, timeout: number | null) => {
    const sel = selectorOf(id);
    for (const [sock, key] of sel.getMap()) {
      if (key.events & EVENT_READ && !sock.closed) watched.get(key.data)?.arm();
    }
    const ready = await sel.select(timeout);
    if (ready.length > 0 && ready.length < sel.getMap().size) {
      // A select that waited answers at the first ready socket; a thread pays a round trip per
      // select, so let the rest of that wake-up's sockets report too (a poll: two loop turns).
      const seen = new Set(ready.map(([key]) => key));
      for (const entry of await sel.select(0)) if (!seen.has(entry[0])) ready.push(entry);
    }
    return ready.map(([key, mask]) => [key.data, mask]);
  },
  selectorClose: (_link, id: number) => {
    selectors.get(id)?.close();
    selectors.delete(id);
  },
};

const started = workerData as {
  block: SharedArrayBuffer;
  port: MessagePort;
  control: SharedArrayBuffer;
};
const helperBlock = new Int32Array(started.block);

const hello = new BroadcastChannel(HELLO_CHANNEL);
hello.onmessage = (event) => {
  const { threadId, control } = (event as { data: Hello }).data;
  new Link(control, broadcastLine(threadId), METHODS);
};
new Link(started.control, portLine(started.port), METHODS);

setInterval(() => Atomics.add(helperBlock, HEARTBEAT, 1), HEARTBEAT_MS);
Atomics.store(helperBlock, STARTED, 1);
Atomics.notify(helperBlock, STARTED);
