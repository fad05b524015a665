/**
 * PyMOTW-3's UDP echo server (`socket_echo_server_dgram.py`): one datagram socket, a blocking
 * `recvFrom`, and each datagram sent back to whoever sent it.
 *
 *   node build/examples/udp-echo-server.js [host=127.0.0.1] [port=10000]
 *
 * It prints `starting up on HOST port PORT` once bound (the real port when asked for 0) and
 * serves until Ctrl-C. test/fixtures/udp_echo_server.py is the same program in CPython.
 */

import { AF_INET, AF_INET6, SOCK_DGRAM, socket } from "../src/index.js";

const [host = "127.0.0.1", portText = "10000"] = process.argv.slice(2);

// Create a UDP socket
const sock = socket(host.includes(":") ? AF_INET6 : AF_INET, SOCK_DGRAM);

// Bind the socket to the port
await sock.bind([host, Number(portText)]);
const [boundHost, boundPort] = sock.getsockname() as [string, number];
console.log(`starting up on ${boundHost} port ${boundPort}`);

for (;;) {
  console.log("\nwaiting to receive message");
  const [data, address] = await sock.recvFrom(4096);

  console.log(`received ${data.length} bytes from ${JSON.stringify(address)}`);
  console.log(data);

  if (data.length > 0) {
    const sent = await sock.sendTo(data, address);
    console.log(`sent ${sent} bytes back to ${JSON.stringify(address)}`);
  }
}
