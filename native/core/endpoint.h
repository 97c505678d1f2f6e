// The ends of a TCP connection as they travel on the wire, read with getsockname(2) and
// getpeername(2). Plain core: returns 0 or an errno; no N-API types.
#ifndef SOCKCTL_CORE_ENDPOINT_H_
#define SOCKCTL_CORE_ENDPOINT_H_

#include <cstdint>

namespace sockctl::core {

// One end of a connection as it appears on the wire. An IPv4-mapped IPv6 address
// (::ffff:127.0.0.1) is stored as the IPv4 address it stands for: that is what travels.
struct Endpoint {
  int family;           // AF_INET or AF_INET6
  uint8_t address[16];  // network order; IPv4 uses the first 4 bytes
  uint16_t port;        // host order
};

// Whether the address is 127.0.0.0/8 or ::1.
bool IsLoopback(const Endpoint& endpoint);

// The socket's own end (getsockname) or its peer's (getpeername).
int LocalEndpoint(int fd, Endpoint* endpoint);
int PeerEndpoint(int fd, Endpoint* endpoint);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_ENDPOINT_H_
