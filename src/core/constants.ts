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

/** Allow sending to a broadcast address (level `SOL_SOCKET`; datagram sockets). */
export const SO_BROADCAST = 6;
/** Time to live of unicast IPv4 datagrams, hops (level `IPPROTO_IP`; default 64). */
export const IP_TTL = 2;
/** The interface multicast leaves by: the 4 bytes of `inetAton(address)` (level `IPPROTO_IP`). */
export const IP_MULTICAST_IF = 32;
/** Time to live of multicast IPv4 datagrams, hops (level `IPPROTO_IP`; default 1). */
export const IP_MULTICAST_TTL = 33;
/** Whether this host's own group members receive what it multicasts (level `IPPROTO_IP`; default 1). */
export const IP_MULTICAST_LOOP = 34;
/** Join a group: the 8 bytes of `inetAton(group) + inetAton(interface)` (level `IPPROTO_IP`). */
export const IP_ADD_MEMBERSHIP = 35;
/** Leave a group: the same 8 bytes as `IP_ADD_MEMBERSHIP` (level `IPPROTO_IP`). */
export const IP_DROP_MEMBERSHIP = 36;
/** Hop limit of unicast IPv6 datagrams (level `IPPROTO_IPV6`; default 64). */
export const IPV6_UNICAST_HOPS = 16;
/** The interface IPv6 multicast leaves by: an interface index, 0 for the default (level `IPPROTO_IPV6`). */
export const IPV6_MULTICAST_IF = 17;
/** Hop limit of multicast IPv6 datagrams (level `IPPROTO_IPV6`; default 1). */
export const IPV6_MULTICAST_HOPS = 18;
/** Whether this host's own group members receive what it multicasts over IPv6 (default 1). */
export const IPV6_MULTICAST_LOOP = 19;
/**
 * Join an IPv6 group: the 16 bytes of `inetPton(AF_INET6, group)` and the interface index as a
 * native-endian 32-bit integer, 0 for the default interface (level `IPPROTO_IPV6`).
 */
export const IPV6_JOIN_GROUP = 20;
/** Leave an IPv6 group: the same 20 bytes as `IPV6_JOIN_GROUP` (level `IPPROTO_IPV6`). */
export const IPV6_LEAVE_GROUP = 21;

/** `recv` flag: return data without consuming it. */
export const MSG_PEEK = 2;
/**
 * `recvInto`/`recvFromInto` flag on datagram sockets: return the datagram's real length, even
 * when it was longer than the buffer and truncated (Linux's `MSG_TRUNC`).
 */
export const MSG_TRUNC = 0x20;

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
