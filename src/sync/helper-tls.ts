/**
 * The helper thread's side of TLS in `sockit/sync`: the contexts threads made, built again here
 * from the same options and kept by id, and what helper.ts needs to start TLS on a socket with
 * the async API. A TLS socket is never handed over: its session lives in the helper, and every
 * call of the thread's `SSLSocket` is a request, as for datagram sockets.
 */

import {
  type CreateConnectionOptions,
  type Socket,
  SSLContext,
  type SSLContextOptions,
  SSLSocket,
  type WrapSocketOptions,
} from "../index.js";

/** What a thread's SSLSocket keeps of its session (it never changes). */
export interface TlsInfo {
  readonly serverSide: boolean;
  readonly serverHostname: string | null;
}

/** createConnection's options as a thread sends them: the TLS context by id. */
export type WireConnectionOptions = Omit<CreateConnectionOptions, "tls"> & {
  tlsContext?: number | undefined;
};

const contexts = new Map<number, SSLContext>();
let nextContext = 1;

function contextOf(id: unknown): SSLContext {
  const context = contexts.get(id as number);
  if (context === undefined) throw new Error(`no TLS context ${String(id)} in the helper`);
  return context;
}

/** Makes a context from options the thread has already checked; returns its id. */
export function openContext(options: SSLContextOptions): number {
  const id = nextContext++;
  contexts.set(id, new SSLContext(options));
  return id;
}

/** Forgets a context (the thread's was garbage-collected). */
export function closeContext(id: number): void {
  contexts.delete(id);
}

/** Starts TLS on `sock` with context `id`, as the async `wrapSocket`. */
export function wrapWith(id: number, sock: Socket, options: WrapSocketOptions): Promise<SSLSocket> {
  return contextOf(id).wrapSocket(sock, options);
}

/** The session information a thread's SSLSocket keeps; undefined for a plain socket. */
export function tlsInfoOf(sock: Socket): TlsInfo | undefined {
  if (!(sock instanceof SSLSocket)) return undefined;
  return { serverSide: sock.serverSide, serverHostname: sock.serverHostname };
}

/** Whether a TLS socket: its session stays in the helper, never handed over. */
export function isTls(sock: Socket): boolean {
  return sock instanceof SSLSocket;
}

/** createConnection's options with the context the thread named by id. */
export function connectionOptions(options: WireConnectionOptions): CreateConnectionOptions {
  const { tlsContext, ...rest } = options;
  return tlsContext === undefined ? rest : { ...rest, tls: contextOf(tlsContext) };
}
