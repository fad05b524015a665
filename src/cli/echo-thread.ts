/**
 * One connection of `sockit echo-server --mode threads`: a worker thread that takes over the
 * connection the main thread accepted (by its descriptor) and echoes it with sockit/sync,
 * blocking in each call as a Python thread would.
 */

import { workerData } from "node:worker_threads";
import { SOCK_STREAM, Socket, SocketError } from "../sync/index.js";

const { family, fd } = workerData as { family: number; fd: number };
const conn = new Socket(family, SOCK_STREAM, 0, fd);
try {
  for (;;) {
    const data = conn.recv(65536);
    if (data.length === 0) break;
    conn.sendAll(data);
  }
} catch (error) {
  if (!(error instanceof SocketError)) throw error;
} finally {
  conn.close();
}
