/**
 * PyMOTW-3's blocking echo client (`socket_echo_client.py`), line for line with sockit/sync.
 *
 *   node build/examples/blocking-echo-client.js [host=localhost] [port=10000]
 */

import { AF_INET, SOCK_STREAM, socket } from "../src/sync/index.js";

const args = process.argv.slice(2);

// Create a TCP/IP socket
const sock = socket(AF_INET, SOCK_STREAM);

// Connect the socket to the port where the server is listening
const serverAddress: [string, number] = [args[0] ?? "localhost", Number(args[1] ?? 10000)];
console.log(`connecting to ${serverAddress[0]} port ${serverAddress[1]}`);
sock.connect(serverAddress);

try {
  // Send data
  const message = Buffer.from("This is the message.  It will be repeated.");
  console.log(`sending ${JSON.stringify(message.toString())}`);
  sock.sendAll(message);

  // Look for the response
  let amountReceived = 0;
  const amountExpected = message.length;

  while (amountReceived < amountExpected) {
    const data = sock.recv(16);
    amountReceived += data.length;
    console.log(`received ${JSON.stringify(data.toString())}`);
  }
} finally {
  console.log("closing socket");
  sock.close();
}
