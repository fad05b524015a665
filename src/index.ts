/**
 * sockit: Python's `socket`, `selectors` and `struct` programming model for TypeScript.
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
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_UNICAST_HOPS,
  IPV6_V6ONLY,
  MSG_PEEK,
  MSG_TRUNC,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_BROADCAST,
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
} from "./core/constants.js";
export type { SocketErrorOptions } from "./core/errors.js";
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
} from "./core/errors.js";
export type {
  Address,
  AddressInput,
  IPv4Address,
  IPv6Address,
  UnixAddress,
} from "./net/address.js";
export type { CreateServerOptions } from "./net/connection.js";
export { createServer, hasDualstackIpv6, socketpair } from "./net/connection.js";
export type { CreateConnectionOptions } from "./net/create-connection.js";
export { createConnection, HAPPY_EYEBALLS_DELAY_MS } from "./net/create-connection.js";
export { htonl, htons, inetAton, inetNtoa, inetNtop, inetPton, ntohl, ntohs } from "./net/inet.js";
export type { AddrInfo, GetAddrInfoOptions } from "./net/resolve.js";
export { getaddrinfo, gethostname } from "./net/resolve.js";
export type { SelectOptions, SelectorKey } from "./selectors/selectors.js";
export { DefaultSelector } from "./selectors/selectors.js";
export type { WaitOptions } from "./socket/operation.js";
export type { Data, RecvOptions, RecvUntilOptions } from "./socket/operations.js";
export type { Deadline } from "./socket/policy.js";
export { getDefaultTimeout, setDefaultTimeout } from "./socket/policy.js";
export { Socket, socket } from "./socket/socket.js";
export type { FromNetSocketOptions } from "./streams/adopt.js";
export { fromNetSocket } from "./streams/adopt.js";
export { BinaryFile } from "./streams/binary-file.js";
export type { DuplexOptions } from "./streams/duplex.js";
export { UnicodeDecodeError, UnicodeEncodeError, UnsupportedOperation } from "./streams/errors.js";
export type { Size } from "./streams/file.js";
export { SocketFile } from "./streams/file.js";
export type { FileOptions, Newline } from "./streams/file-options.js";
export type { FileFor } from "./streams/makefile.js";
export { TextFile } from "./streams/text-file.js";
export type { PackValue, StructBuffer, UnpackedValue } from "./struct/index.js";
export {
  calcsize,
  iterUnpack,
  pack,
  packInto,
  Struct,
  StructError,
  unpack,
  unpackFrom,
} from "./struct/index.js";
export type { AltName, NameAttribute, PeerCertificate, RelativeName } from "./tls/certificate.js";
export type {
  CertificateData,
  SSLContextOptions,
  TLSVersion,
  WrapSocketOptions,
} from "./tls/context.js";
export {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  createDefaultContext,
  SSLContext,
} from "./tls/context.js";
export { SSLCertVerificationError, SSLEOFError, SSLError } from "./tls/errors.js";
export { SSLSocket } from "./tls/ssl-socket.js";
