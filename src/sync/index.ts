/**
 * sockit/sync: the same sockets and selectors as `sockit`, with calls that block the calling
 * thread (the main thread or a worker) until they are ready, as Python's do. Constants, errors,
 * struct and the helpers that need no I/O are the very same objects as `sockit`'s.
 *
 * Every name is exported explicitly, so this file is the list of the public API.
 *
 * @module
 */

export {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AF_UNSPEC,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_NUMERICSERV,
  AI_PASSIVE,
  EVENT_READ,
  EVENT_WRITE,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV6_V6ONLY,
  MSG_PEEK,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
  SOL_SOCKET,
  SOMAXCONN,
  TCP_NODELAY,
} from "../core/constants.js";
export type { SocketErrorOptions } from "../core/errors.js";
export {
  AddressInfoError,
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  IncompleteReadError,
  KeyError,
  LimitOverrunError,
  SocketError,
  TimeoutError,
} from "../core/errors.js";
export type {
  Address,
  AddressInput,
  IPv4Address,
  IPv6Address,
  UnixAddress,
} from "../net/address.js";
export type { CreateServerOptions } from "../net/connection.js";
export { hasDualstackIpv6 } from "../net/connection.js";
export { HAPPY_EYEBALLS_DELAY_MS } from "../net/create-connection.js";
export { htonl, htons, inetAton, inetNtoa, inetNtop, inetPton, ntohl, ntohs } from "../net/inet.js";
export type { AddrInfo, GetAddrInfoOptions } from "../net/resolve.js";
export { gethostname } from "../net/resolve.js";
export type { SelectOptions, SelectorKey } from "../selectors/selectors.js";
export type { WaitOptions } from "../socket/operation.js";
export type { Data, RecvOptions, RecvUntilOptions } from "../socket/operations.js";
export type { Deadline } from "../socket/policy.js";
export { getDefaultTimeout, setDefaultTimeout } from "../socket/policy.js";
export type { PackValue, StructBuffer, UnpackedValue } from "../struct/index.js";
export {
  calcsize,
  iterUnpack,
  pack,
  packInto,
  Struct,
  StructError,
  unpack,
  unpackFrom,
} from "../struct/index.js";
export type {
  AltName,
  NameAttribute,
  PeerCertificate,
  RelativeName,
} from "../tls/certificate.js";
export type {
  CertificateData,
  SSLContextOptions,
  TLSVersion,
  WrapSocketOptions,
} from "../tls/context.js";
export { CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED } from "../tls/context.js";
export { SSLCertVerificationError, SSLEOFError, SSLError } from "../tls/errors.js";
export type { CreateConnectionOptions } from "./connection.js";
export { createConnection, createServer, getaddrinfo, socketpair } from "./connection.js";
export { DefaultSelector } from "./selectors.js";
export { Socket, socket } from "./socket.js";
export { SSLSocket } from "./ssl-socket.js";
export { createDefaultContext, SSLContext } from "./tls.js";
