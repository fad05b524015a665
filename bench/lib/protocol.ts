/**
 * What the benchmark scripts and their peer processes say to each other over Node's IPC channel,
 * and the parameters of each benchmark. Peers get their parameters as JSON on the command line.
 */

/** The benchmarks a peer can play. */
export type BenchName =
  | "bulk"
  | "pingpong"
  | "framed"
  | "connections"
  | "pipe"
  | "lines"
  | "tls-bulk"
  | "tls-pingpong"
  | "tls-handshakes";

/** The implementations under test; each has `bench/peers/<name>.ts`. */
export type ImplName =
  | "sockit"
  | "net-data"
  | "net-onread"
  | "promise-socket"
  | "await-floor"
  | "sockit-tls"
  | "tls-data"
  | "tls-floor"
  | "python-ssl";

/** Which side a peer process plays. */
export type Role = "server" | "client";

/** Loopback host every benchmark uses. */
export const HOST = "127.0.0.1";

/** bulk: the server sends `totalBytes` in `chunkBytes` writes; the client receives and times. */
export interface BulkParams {
  totalBytes: number;
  chunkBytes: number;
}

/** pingpong: `warmup` unmeasured then `roundTrips` measured exchanges of `messageBytes`. */
export interface PingPongParams {
  messageBytes: number;
  roundTrips: number;
  warmup: number;
  /** Socket timeout in seconds on every sockit socket, or null (blocking). */
  timeout: number | null;
}

/** framed: length-prefixed messages echoed by the server with `window` requests in flight. */
export interface FramedParams {
  messages: number;
  warmup: number;
  payloadBytes: number;
  window: number;
  timeout: number | null;
}

/** connections: `connections` sockets opened at once, each echoing `messageBytes`. */
export interface ConnectionsParams {
  connections: number;
  messageBytes: number;
  backlog: number;
  /**
   * 2: once the first round is closed, the client opens as many connections again in the same
   * processes (the warm round, timed as `warmMs`); the server serves both rounds.
   */
  rounds: number;
}

/** pipe: the server pipes `totalBytes` in `chunkBytes` chunks into its stream; the client pipes its stream into a sink. */
export interface PipeParams {
  totalBytes: number;
  chunkBytes: number;
}

/** lines: the server sends `lines` lines of `lineBytes` (newline included); the client reads them one by one. */
export interface LinesParams {
  lines: number;
  /** Lines read before the timed part (JIT compilation settles meanwhile). */
  warmup: number;
  lineBytes: number;
  /** How the client reads (each implementation documents its styles). */
  style: string;
}

/** The PEM files of the TLS benchmarks: a CA, and the server's certificate and key. */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** tls-bulk: as bulk, over TLS (AES-256-GCM). */
export interface TlsBulkParams extends BulkParams, TlsFiles {}

/** tls-pingpong: as pingpong, over TLS. */
export interface TlsPingPongParams extends TlsFiles {
  messageBytes: number;
  roundTrips: number;
  warmup: number;
}

/** tls-handshakes: `connections` connections one after another, each a full handshake. */
export interface TlsHandshakesParams extends TlsFiles {
  connections: number;
}

/** Parameters by benchmark. */
export interface ParamsOf {
  "tls-bulk": TlsBulkParams;
  "tls-pingpong": TlsPingPongParams;
  "tls-handshakes": TlsHandshakesParams;
  bulk: BulkParams;
  pingpong: PingPongParams;
  framed: FramedParams;
  connections: ConnectionsParams;
  pipe: PipeParams;
  lines: LinesParams;
}

/** Named numbers a peer reports (each benchmark knows its keys). */
export type Metrics = Record<string, number>;

/** A snapshot of `process.memoryUsage()` after a full GC, bytes. */
export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Messages from a peer to the benchmark script. */
export type PeerMessage =
  | { type: "ready"; port: number }
  | { type: "opened"; metrics: Metrics }
  | { type: "memory"; base: MemorySnapshot; now: MemorySnapshot }
  | { type: "result"; metrics: Metrics }
  | { type: "done"; metrics: Metrics }
  | { type: "failed"; message: string };

/** Messages from the benchmark script to a peer. */
export type ControlMessage = { type: "measure" } | { type: "close" };

/** Narrows an IPC payload to a {@link PeerMessage}. */
export function isPeerMessage(value: unknown): value is PeerMessage {
  return (
    typeof value === "object" && value !== null && typeof Reflect.get(value, "type") === "string"
  );
}

/** Narrows an IPC payload to a {@link ControlMessage}. */
export function isControlMessage(value: unknown): value is ControlMessage {
  const type = typeof value === "object" && value !== null ? Reflect.get(value, "type") : undefined;
  return type === "measure" || type === "close";
}
