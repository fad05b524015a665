/**
 * The client of the selectors echo pair (PyMOTW-3, "selectors"): one non-blocking socket
 * registered for reading and writing; it sends its messages as the socket has room, switches to
 * read-only with `modify` once everything is sent, and stops when all of it has come back.
 *
 *   node build/examples/selectors-echo-client.js [host=127.0.0.1] [port=10000] [message...]
 *
 * The echoed bytes go to stdout exactly as received; the narration goes to stderr.
 */

import { BlockingIOError, DefaultSelector, EVENT_READ, EVENT_WRITE, socket } from "../src/index.js";

const [host = "127.0.0.1", portText = "10000", ...messages] = process.argv.slice(2);
const outgoing = (
  messages.length > 0 ? messages : ["It will be repeated.", "This is the message.  "]
).map((text) => Buffer.from(text));
const total = outgoing.reduce((sum, message) => sum + message.length, 0);
const preview = (bytes: Buffer): string =>
  bytes.length <= 60 ? JSON.stringify(bytes.toString()) : `${bytes.length} bytes`;

console.error(`connecting to ${host} port ${portText}`);
const sock = socket();
// Connecting blocks; the socket becomes non-blocking once it is connected.
await sock.connect([host, Number(portText)]);
sock.setBlocking(false);

using sel = new DefaultSelector();
sel.register(sock, EVENT_READ | EVENT_WRITE);

let received = 0;
let serverClosed = false;
while (received < total && !serverClosed) {
  for (const [, mask] of await sel.select()) {
    if (mask & EVENT_READ) {
      const data = await sock.recv(4096);
      if (data.length === 0) {
        console.error("  the server closed the connection");
        serverClosed = true;
      } else {
        console.error(`  received ${preview(data)}`);
        process.stdout.write(data);
        received += data.length;
      }
    }
    if (mask & EVENT_WRITE) {
      const next = outgoing[0];
      if (next === undefined) {
        console.error("  everything sent: switching to read-only");
        sel.modify(sock, EVENT_READ);
      } else {
        try {
          const n = await sock.send(next);
          console.error(`  sent ${preview(next.subarray(0, n))}`);
          if (n === next.length) outgoing.shift();
          else outgoing[0] = next.subarray(n);
        } catch (error) {
          if (!(error instanceof BlockingIOError)) throw error;
        }
      }
    }
  }
}

console.error("shutting down");
sel.unregister(sock);
sock.close();
if (serverClosed && received < total) process.exitCode = 1;
