// Kernel-side socket destruction through netlink sock_diag: sock_diag(7), SOCK_DESTROY with an
// inet_diag_req_v2 (linux/inet_diag.h), the request `ss -K` sends. Plain core: no N-API types;
// every function returns 0 or an errno and names the step that failed in *step.
#ifndef SOCKCTL_CORE_DIAG_H_
#define SOCKCTL_CORE_DIAG_H_

#include <cstdint>

namespace sockctl::core {

// What identifies one TCP socket to the kernel: its 4-tuple as the socket sees it (local =
// getsockname, remote = getpeername), the device it is bound to, and its SO_COOKIE, which makes
// the match exact — a 4-tuple reused later by another socket does not match.
struct SocketId {
  int family;         // AF_INET or AF_INET6
  uint8_t local[16];  // network order; IPv4 uses the first 4 bytes
  uint8_t remote[16];
  uint16_t local_port;  // network order
  uint16_t remote_port;
  uint32_t ifindex;  // SO_BINDTOIFINDEX, 0 when unbound
  uint64_t cookie;   // SO_COOKIE
};

// SO_COOKIE: the kernel's 64-bit id of the socket, unique for the life of the network namespace.
int GetCookie(int fd, uint64_t* cookie);

// Fills *id from a connected TCP socket. EPROTONOSUPPORT (step "getsockopt") for a socket that
// is not TCP, EAFNOSUPPORT (step "getsockname") for one that is not IPv4/IPv6, ENOTCONN
// (step "getpeername") for one without a peer (listening, never connected, or already dead).
int IdOf(int fd, SocketId* id, const char** step);

// Sends SOCK_DESTROY for *id and returns the kernel's answer: 0 (destroyed), EPERM (no
// CAP_NET_ADMIN over the socket's network namespace), EOPNOTSUPP (kernel without
// CONFIG_INET_DIAG_DESTROY), ENOENT (no socket with that 4-tuple and cookie). Failures before
// the kernel's answer name the syscall in *step; the answer itself names "sock_diag".
int Destroy(const SocketId& id, const char** step);

// kill(): IdOf + Destroy.
int KillSocket(int fd, const char** step);

// Whether this process may destroy a TCP socket: makes a throwaway connection on 127.0.0.1
// (lo must be up), destroys the client end and closes everything. Returns Destroy's answer, or
// the errno of the setup step named in *step.
int ProbeKill(const char** step);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_DIAG_H_
