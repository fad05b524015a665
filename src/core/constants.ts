/**
 * Socket constants with Python's names and Linux's values, so numbers read in Python code or
 * C headers mean the same thing here.
 *
 * @module
 */

/** IPv4 address family. */
export const AF_INET = 2;
/** IPv6 address family. */
export const AF_INET6 = 10;
/** Unix domain socket family (a leading `"\0"` in a path is Linux's abstract namespace). */
export const AF_UNIX = 1;
/** Unspecified family, for {@link getaddrinfo}. */
export const AF_UNSPEC = 0;

/** Stream (TCP or Unix stream) socket type. */
export const SOCK_STREAM = 1;
/** Datagram (UDP) socket type. */
export const SOCK_DGRAM = 2;
/** Raw socket type (only appears in {@link getaddrinfo} answers). */
export const SOCK_RAW = 3;

/** `shutdown` how: no more receives. */
export const SHUT_RD = 0;
/** `shutdown` how: no more sends (sends FIN). */
export const SHUT_WR = 1;
/** `shutdown` how: both directions. */
export const SHUT_RDWR = 2;

/** Socket-level option level. */
export const SOL_SOCKET = 1;
/** IPv4 protocol level (0). */
export const IPPROTO_IP = 0;
/** TCP protocol level. */
export const IPPROTO_TCP = 6;
/** UDP protocol level. */
export const IPPROTO_UDP = 17;
/** IPv6 protocol level. */
export const IPPROTO_IPV6 = 41;

/** Disables Nagle's algorithm (level `IPPROTO_TCP`). */
export const TCP_NODELAY = 1;
/** Reuse a local address in TIME_WAIT (level `SOL_SOCKET`). */
export const SO_REUSEADDR = 2;
/** The socket's type, read-only (level `SOL_SOCKET`). */
export const SO_TYPE = 3;
/** The pending error's errno, cleared by reading it (level `SOL_SOCKET`). */
export const SO_ERROR = 4;
/** Send buffer size in bytes; here the library's own send buffer (level `SOL_SOCKET`). */
export const SO_SNDBUF = 7;
/** Receive buffer size in bytes; here the library's own receive buffer (level `SOL_SOCKET`). */
export const SO_RCVBUF = 8;
/** TCP keep-alive probes (level `SOL_SOCKET`). */
export const SO_KEEPALIVE = 9;
/** Linger on close, in seconds or `null`; only `0` (reset on close) can be honoured. */
export const SO_LINGER = 13;
/** Several sockets may listen on one port (level `SOL_SOCKET`; Node.js >= 22.12). */
export const SO_REUSEPORT = 15;
/** Restrict an AF_INET6 socket to IPv6 only (level `IPPROTO_IPV6`). */
export const IPV6_V6ONLY = 26;

/** `recv` flag: return data without consuming it. */
export const MSG_PEEK = 2;

/** The largest backlog Linux accepts by default. */
export const SOMAXCONN = 4096;

/** `getaddrinfo` flag: an address to bind to (host `null` means the wildcard address). */
export const AI_PASSIVE = 1;
/** `getaddrinfo` flag: fill in the canonical name of the first answer. */
export const AI_CANONNAME = 2;
/** `getaddrinfo` flag: the host must be a numeric address, no name lookup. */
export const AI_NUMERICHOST = 4;
/** `getaddrinfo` flag: the port must be numeric. */
export const AI_NUMERICSERV = 0x400;

/** Selector event: the file object is readable. */
export const EVENT_READ = 1;
/** Selector event: the file object is writable. */
export const EVENT_WRITE = 2;
