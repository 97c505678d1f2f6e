// Plain syscalls on TCP sockets this library owns: socket(2), bind(2), listen(2), connect(2),
// accept4(2), send(2), recv(2), shutdown(2), close(2), getsockname(2), getpeername(2).
// Every function returns 0 on success and an errno on failure; results (a new fd, a byte count)
// come back through out-parameters. No N-API types.
#ifndef SOCKCTL_CORE_RAW_IO_H_
#define SOCKCTL_CORE_RAW_IO_H_

#include <sys/socket.h>

#include <cstddef>

namespace sockctl::core {

// An IPv4 or IPv6 socket address with its length, as the kernel takes and returns it.
struct Address {
  sockaddr_storage storage;
  socklen_t length;
};

// Fills *address from a numeric host ("127.0.0.1", "::1") and a port; EINVAL if the host is
// not an IP literal. No name resolution: the library only talks to literal addresses.
int ParseAddress(const char* host, int port, Address* address);

// Writes the numeric host into host (at least INET6_ADDRSTRLEN bytes) and the port.
int FormatAddress(const Address& address, char* host, size_t host_size, int* port);

// family is 4 or 6. The socket is non-blocking and close-on-exec from the start.
int OpenStreamSocket(int family, int* fd);
int Bind(int fd, const Address& address);
int Listen(int fd, int backlog);
// EINPROGRESS is the normal answer of a non-blocking connect; the outcome arrives in SO_ERROR.
int Connect(int fd, const Address& address);
int Accept(int fd, int* accepted);
int Send(int fd, const void* data, size_t length, size_t* sent);
int Recv(int fd, void* data, size_t length, size_t* received);
// how is SHUT_RD, SHUT_WR or SHUT_RDWR.
int Shutdown(int fd, int how);
int Close(int fd);
int LocalAddress(int fd, Address* address);
int PeerAddress(int fd, Address* address);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_RAW_IO_H_
