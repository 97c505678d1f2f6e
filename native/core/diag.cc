// SOCK_DESTROY over NETLINK_SOCK_DIAG: sock_diag(7), netlink(7), linux/inet_diag.h; the socket's
// identity from getsockname(2), getpeername(2) and socket(7) SO_COOKIE / SO_BINDTOIFINDEX.
#include "diag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "owned_fd.h"

namespace sockctl::core {
namespace {

// The kernel answers within sendmsg (netlink requests to the kernel run synchronously); the
// wait only bounds the unexpected case so that a broken kernel cannot block the event loop.
constexpr int kAnswerTimeoutMs = 1000;
constexpr int kMaxAnswerReads = 8;

void CopyAddress(const sockaddr_storage& addr, uint8_t* out, uint16_t* port) {
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    std::memcpy(out, &in->sin_addr, sizeof(in->sin_addr));
    *port = in->sin_port;
  } else {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    std::memcpy(out, &in6->sin6_addr, sizeof(in6->sin6_addr));
    *port = in6->sin6_port;
  }
}

uint32_t NextSequence() {
  static uint32_t sequence = 0;
  return __atomic_add_fetch(&sequence, 1, __ATOMIC_RELAXED);
}

}  // namespace

int GetCookie(int fd, uint64_t* cookie) {
  socklen_t len = sizeof(*cookie);
  *cookie = 0;
  return getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len) == 0 ? 0 : errno;
}

int IdOf(int fd, SocketId* id, const char** step) {
  std::memset(id, 0, sizeof(*id));
  int protocol = 0;
  socklen_t len = sizeof(protocol);
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0) {
    return Fail(step, "getsockopt");
  }
  if (protocol != IPPROTO_TCP) {
    *step = "getsockopt";
    return EPROTONOSUPPORT;
  }
  sockaddr_storage local = {};
  len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    return Fail(step, "getsockname");
  }
  if (local.ss_family != AF_INET && local.ss_family != AF_INET6) {
    *step = "getsockname";
    return EAFNOSUPPORT;
  }
  sockaddr_storage remote = {};
  len = sizeof(remote);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &len) != 0) {
    return Fail(step, "getpeername");
  }
  id->family = local.ss_family;
  CopyAddress(local, id->local, &id->local_port);
  CopyAddress(remote, id->remote, &id->remote_port);
  int ifindex = 0;
  len = sizeof(ifindex);
  // Only a socket bound to a device (SO_BINDTODEVICE) needs it for the kernel's lookup;
  // kernels before 5.0 lack the option and such sockets are rare, so 0 is the fallback.
  if (getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, &len) == 0 && ifindex > 0) {
    id->ifindex = static_cast<uint32_t>(ifindex);
  }
  // Without the cookie the request would match whatever socket holds the 4-tuple: refuse.
  int err = GetCookie(fd, &id->cookie);
  if (err != 0) *step = "getsockopt";
  return err;
}

int Destroy(const SocketId& id, const char** step) {
  OwnedFd nl(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG));
  if (nl.get() < 0) return Fail(step, "socket");

  struct {
    nlmsghdr header;
    inet_diag_req_v2 body;
  } request = {};
  uint32_t sequence = NextSequence();
  request.header.nlmsg_len = sizeof(request);
  request.header.nlmsg_type = SOCK_DESTROY;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  request.header.nlmsg_seq = sequence;
  request.body.sdiag_family = static_cast<uint8_t>(id.family);
  request.body.sdiag_protocol = IPPROTO_TCP;
  request.body.idiag_states = ~0u;
  request.body.id.idiag_sport = id.local_port;
  request.body.id.idiag_dport = id.remote_port;
  std::memcpy(request.body.id.idiag_src, id.local, sizeof(id.local));
  std::memcpy(request.body.id.idiag_dst, id.remote, sizeof(id.remote));
  request.body.id.idiag_if = id.ifindex;
  request.body.id.idiag_cookie[0] = static_cast<uint32_t>(id.cookie);
  request.body.id.idiag_cookie[1] = static_cast<uint32_t>(id.cookie >> 32);

  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  if (sendto(nl.get(), &request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof(kernel)) < 0) {
    return Fail(step, "sendto");
  }

  alignas(nlmsghdr) char buffer[8192];
  for (int reads = 0; reads < kMaxAnswerReads; reads++) {
    pollfd p = {nl.get(), POLLIN, 0};
    int ready = poll(&p, 1, kAnswerTimeoutMs);
    if (ready < 0) return Fail(step, "poll");
    if (ready == 0) {
      *step = "poll";
      return ETIMEDOUT;
    }
    ssize_t n = recv(nl.get(), buffer, sizeof(buffer), 0);
    if (n < 0) return Fail(step, "recv");
    int remaining = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, remaining);
         h = NLMSG_NEXT(h, remaining)) {
      if (h->nlmsg_seq != sequence || h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
        *step = "recv";
        return EBADMSG;
      }
      const auto* answer = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      *step = "sock_diag";
      return -answer->error;
    }
  }
  *step = "recv";
  return EBADMSG;
}

int KillSocket(int fd, const char** step) {
  SocketId id;
  int err = IdOf(fd, &id, step);
  return err != 0 ? err : Destroy(id, step);
}

int ProbeKill(const char** step) {
  OwnedFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP));
  if (listener.get() < 0) return Fail(step, "socket");
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return Fail(step, "bind");
  }
  if (listen(listener.get(), 1) != 0) return Fail(step, "listen");
  if (getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Fail(step, "getsockname");
  }
  OwnedFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP));
  if (client.get() < 0) return Fail(step, "socket");
  if (connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno != EINPROGRESS) {
    return Fail(step, "connect");
  }
  // Loopback completes the handshake at once; the bound only guards a misconfigured stack.
  pollfd p = {client.get(), POLLOUT, 0};
  int ready = poll(&p, 1, kAnswerTimeoutMs);
  if (ready < 0) return Fail(step, "poll");
  if (ready == 0) {
    *step = "connect";
    return ETIMEDOUT;
  }
  int pending = 0;
  len = sizeof(pending);
  if (getsockopt(client.get(), SOL_SOCKET, SO_ERROR, &pending, &len) != 0) {
    return Fail(step, "getsockopt");
  }
  if (pending != 0) {
    *step = "connect";
    return pending;
  }
  OwnedFd accepted(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (accepted.get() < 0) return Fail(step, "accept4");
  return KillSocket(client.get(), step);
}

}  // namespace sockctl::core
