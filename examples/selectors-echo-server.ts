/**
 * An echo server that serves every client from one loop with a DefaultSelector (PyMOTW-3,
 * "selectors": non-blocking sockets whose key's `data` is the callback to run).
 *
 *   node build/examples/selectors-echo-server.js [host=127.0.0.1] [port=10000] [--quiet]
 *
 * It prints `listening on HOST PORT` once it accepts connections, and stops on Ctrl-C/SIGTERM.
 * Unlike the PyMOTW original it never blocks on a slow client: what a client has sent but not
 * yet taken back waits in `pending`, and the connection asks for EVENT_WRITE only while
 * something is pending (and stops reading while too much is).
 */

import {
  type Address,
  BlockingIOError,
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  SO_REUSEADDR,
  SOL_SOCKET,
  SOMAXCONN,
  type Socket,
  SocketError,
  socket,
} from "../src/index.js";

/** What each key's `data` holds: the callback for its socket. */
type Callback = (mask: number) => Promise<void>;

const EMPTY = Buffer.alloc(0);
/** Stop reading from a client once this many echoed bytes wait for it to read them. */
const MAX_PENDING_BYTES = 64 * 1024;

const args = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const quiet = process.argv.includes("--quiet");
const host = args[0] ?? "127.0.0.1";
const port = Number(args[1] ?? 10000);
/** Narration on stderr; `--quiet` turns it off (the messages are then never built). */
const log = (message: () => string): void => {
  if (!quiet) console.error(message());
};

const sel = new DefaultSelector<Socket, Callback>();
const server = socket();
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
await server.bind([host, port]);
await server.listen(SOMAXCONN);
server.setBlocking(false);
sel.register(server, EVENT_READ, accept);
const [boundHost, boundPort] = server.getsockname() as [string, number];
console.log(`listening on ${boundHost} ${boundPort}`);

const formatted = (address: Address): string =>
  Array.isArray(address) ? `${address[0]} port ${address[1]}` : address;

/** The listening socket is readable: a connection is waiting. */
async function accept(): Promise<void> {
  // One per event, as in PyMOTW: if more are waiting, the next select reports the server again.
  const [conn, address] = await server.accept();
  log(() => `accepted ${formatted(address)}`);
  conn.setBlocking(false);
  sel.register(conn, EVENT_READ, echo(conn, address));
}

/** The callback of one connection. */
function echo(conn: Socket, peer: Address): Callback {
  let pending: Buffer = EMPTY;
  const callback = async (mask: number): Promise<void> => {
    try {
      if (mask & EVENT_READ) {
        const data = await conn.recv(64 * 1024);
        if (data.length === 0) return close("closed by the client");
        pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
      }
      if (pending.length > 0) {
        try {
          const sent = await conn.send(pending);
          pending = sent === pending.length ? EMPTY : pending.subarray(sent);
        } catch (error) {
          if (!(error instanceof BlockingIOError)) throw error;
        }
      }
    } catch (error) {
      if (error instanceof SocketError) return close(`${error.code} from the client`);
      throw error;
    }
    // Ask for what the connection needs next; modify only when that changes.
    const events =
      pending.length === 0
        ? EVENT_READ
        : pending.length < MAX_PENDING_BYTES
          ? EVENT_READ | EVENT_WRITE
          : EVENT_WRITE;
    if (sel.getKey(conn).events !== events) sel.modify(conn, events, callback);
  };
  const close = (why: string): void => {
    log(() => `${formatted(peer)}: ${why}`);
    sel.unregister(conn);
    conn.close();
  };
  return callback;
}

let running = true;
const shutdown = (): void => {
  log(() => "shutting down");
  running = false;
  for (const sock of sel.getMap().keys()) sock.close(); // the server and every connection
  sel.close(); // the select that is waiting rejects with EBADF
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
try {
  while (running) {
    for (const [key, mask] of await sel.select()) await key.data(mask);
  }
} catch (error) {
  if (running) throw error;
}
