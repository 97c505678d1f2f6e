// Syscalls on owned TCP sockets, errno as the result: socket(2), bind(2), listen(2),
// connect(2), accept4(2), send(2), recv(2), shutdown(2), close(2), getsockname(2).
#include "raw_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>

namespace sockctl::core {

int ParseAddress(const char* host, int port, Address* address) {
  std::memset(address, 0, sizeof(*address));
  if (port < 0 || port > 65535) return EINVAL;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address->storage);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    address->length = sizeof(*v4);
    return 0;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address->storage);
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    address->length = sizeof(*v6);
    return 0;
  }
  return EINVAL;
}

int FormatAddress(const Address& address, char* host, size_t host_size, int* port) {
  const void* raw = nullptr;
  int family = address.storage.ss_family;
  if (family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address.storage);
    raw = &v4->sin_addr;
    *port = ntohs(v4->sin_port);
  } else if (family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
    raw = &v6->sin6_addr;
    *port = ntohs(v6->sin6_port);
  } else {
    return EAFNOSUPPORT;
  }
  return inet_ntop(family, raw, host, static_cast<socklen_t>(host_size)) != nullptr ? 0 : errno;
}

int OpenStreamSocket(int family, int* fd) {
  int domain = family == 6 ? AF_INET6 : AF_INET;
  *fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return *fd >= 0 ? 0 : errno;
}

int Bind(int fd, const Address& address) {
  return bind(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) == 0 ? 0
                                                                                            : errno;
}

int Listen(int fd, int backlog) { return listen(fd, backlog) == 0 ? 0 : errno; }

int Connect(int fd, const Address& address) {
  return connect(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) == 0
             ? 0
             : errno;
}

int Accept(int fd, int* accepted) {
  *accepted = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  return *accepted >= 0 ? 0 : errno;
}

int Send(int fd, const void* data, size_t length, size_t* sent) {
  // Node ignores SIGPIPE, but an addon cannot rely on its host doing so.
  ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
  if (n < 0) return errno;
  *sent = static_cast<size_t>(n);
  return 0;
}

int Recv(int fd, void* data, size_t length, size_t* received) {
  ssize_t n = recv(fd, data, length, 0);
  if (n < 0) return errno;
  *received = static_cast<size_t>(n);
  return 0;
}

int Shutdown(int fd, int how) { return shutdown(fd, how) == 0 ? 0 : errno; }

int Close(int fd) {
  // Linux releases the descriptor even when close() reports EINTR, so it is never retried:
  // a retry could close a descriptor another thread has just been given.
  return close(fd) == 0 ? 0 : errno;
}

int LocalAddress(int fd, Address* address) {
  address->length = sizeof(address->storage);
  return getsockname(fd, reinterpret_cast<sockaddr*>(&address->storage), &address->length) == 0
             ? 0
             : errno;
}

int PeerAddress(int fd, Address* address) {
  address->length = sizeof(address->storage);
  return getpeername(fd, reinterpret_cast<sockaddr*>(&address->storage), &address->length) == 0
             ? 0
             : errno;
}

}  // namespace sockctl::core
