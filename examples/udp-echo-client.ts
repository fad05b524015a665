/**
 * PyMOTW-3's UDP echo client (`socket_echo_client_dgram.py`): sends one datagram to the echo
 * server and waits for the answer.
 *
 *   node build/examples/udp-echo-client.js [host=127.0.0.1] [port=10000] [message]
 *
 * test/fixtures/udp_echo_client.py is the same program in CPython.
 */

import { AF_INET, AF_INET6, SOCK_DGRAM, socket } from "../src/index.js";

const [host = "127.0.0.1", portText = "10000", text] = process.argv.slice(2);

// Create a UDP socket
const sock = socket(host.includes(":") ? AF_INET6 : AF_INET, SOCK_DGRAM);

const serverAddress: [string, number] = [host, Number(portText)];
const message = Buffer.from(text ?? "This is the message.  It will be repeated.");

try {
  // Send data
  console.log(`sending ${JSON.stringify(message.toString())}`);
  await sock.sendTo(message, serverAddress);

  // Receive response
  console.log("waiting to receive");
  const [data] = await sock.recvFrom(4096);
  console.log(`received ${JSON.stringify(data.toString())}`);
} finally {
  console.log("closing socket");
  sock.close();
}
