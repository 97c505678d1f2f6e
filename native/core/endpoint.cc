// Socket addresses as wire endpoints: getsockname(2), getpeername(2), ipv6(7) for IPv4-mapped
// addresses.
#include "endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace sockctl::core {
namespace {

int EndpointFrom(const sockaddr_storage& storage, Endpoint* endpoint) {
  std::memset(endpoint, 0, sizeof(*endpoint));
  if (storage.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(storage);
    endpoint->family = AF_INET;
    std::memcpy(endpoint->address, &v4.sin_addr, 4);
    endpoint->port = ntohs(v4.sin_port);
    return 0;
  }
  if (storage.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(storage);
    endpoint->port = ntohs(v6.sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      endpoint->family = AF_INET;
      std::memcpy(endpoint->address, v6.sin6_addr.s6_addr + 12, 4);
    } else {
      endpoint->family = AF_INET6;
      std::memcpy(endpoint->address, v6.sin6_addr.s6_addr, 16);
    }
    return 0;
  }
  return EAFNOSUPPORT;
}

}  // namespace

bool IsLoopback(const Endpoint& endpoint) {
  if (endpoint.family == AF_INET) return endpoint.address[0] == 127;
  if (endpoint.family == AF_INET6) {
    static const uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(endpoint.address, kLoopback6, 16) == 0;
  }
  return false;
}

int LocalEndpoint(int fd, Endpoint* endpoint) {
  sockaddr_storage storage = {};
  socklen_t length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return errno;
  return EndpointFrom(storage, endpoint);
}

int PeerEndpoint(int fd, Endpoint* endpoint) {
  sockaddr_storage storage = {};
  socklen_t length = sizeof(storage);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return errno;
  return EndpointFrom(storage, endpoint);
}

}  // namespace sockctl::core
