/**
 * PyMOTW-3's blocking echo server (`socket_echo_server.py`), line for line with sockit/sync:
 * every call blocks until it is done, as in Python, with no `await` anywhere.
 *
 *   node build/examples/blocking-echo-server.js [host=localhost] [port=10000] [--once]
 *
 * With `--once` it serves one connection and exits (the tests use that).
 */

import { AF_INET, SOCK_STREAM, socket } from "../src/sync/index.js";

const args = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const once = process.argv.includes("--once");

// Create a TCP/IP socket
const sock = socket(AF_INET, SOCK_STREAM);

// Bind the socket to the port
const serverAddress: [string, number] = [args[0] ?? "localhost", Number(args[1] ?? 10000)];
console.log(`starting up on ${serverAddress[0]} port ${serverAddress[1]}`);
sock.bind(serverAddress);

// Listen for incoming connections
sock.listen(1);
console.log(`listening on port ${(sock.getsockname() as [string, number])[1]}`);

do {
  // Wait for a connection
  console.log("waiting for a connection");
  const [connection, clientAddress] = sock.accept();
  try {
    console.log("connection from", clientAddress);

    // Receive the data in small chunks and retransmit it
    for (;;) {
      const data = connection.recv(16);
      console.log(`received ${JSON.stringify(data.toString("latin1"))}`);
      if (data.length > 0) {
        console.log("sending data back to the client");
        connection.sendAll(data);
      } else {
        console.log("no data from", clientAddress);
        break;
      }
    }
  } finally {
    // Clean up the connection
    connection.close();
  }
} while (!once);
sock.close();
