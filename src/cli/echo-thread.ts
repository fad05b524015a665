/**
 * One connection of `sockit echo-server --mode threads`: a worker thread that takes over the
 * connection the main thread accepted (by its descriptor), starts TLS on it if asked, and echoes
 * it with sockit/sync, blocking in each call as a Python thread would.
 */

import { workerData } from "node:worker_threads";
import { createDefaultContext, SOCK_STREAM, Socket, SocketError } from "../sync/index.js";

/** Seconds a connection has to finish its TLS handshake. */
const HANDSHAKE_TIMEOUT = 30;

const { family, fd, tls } = workerData as {
  family: number;
  fd: number;
  tls: { cert: Uint8Array; key: Uint8Array } | undefined;
};
let conn: Socket = new Socket(family, SOCK_STREAM, 0, fd);
try {
  if (tls !== undefined) {
    conn = createDefaultContext(tls).wrapSocket(conn, {
      server: true,
      timeout: HANDSHAKE_TIMEOUT,
    });
  }
  for (;;) {
    const data = conn.recv(65536);
    if (data.length === 0) break;
    conn.sendAll(data);
  }
} catch (error) {
  // A peer that resets, or fails the handshake, ends its connection only.
  if (!(error instanceof SocketError)) throw error;
} finally {
  conn.close();
}
