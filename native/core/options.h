// Plain socket-option core: takes an fd, returns 0 or an errno. No N-API types here, so the
// same functions serve the binding, the benchmarks' C baseline and any other caller.
// See socket(7), tcp(7), getsockopt(2), and for the queue ioctls tcp(7) "Ioctls" and ioctl(2).
#ifndef SOCKCTL_CORE_OPTIONS_H_
#define SOCKCTL_CORE_OPTIONS_H_

#include <cstddef>
#include <cstdint>

namespace sockctl::core {

int GetIntOption(int fd, int level, int name, int* value);
int SetIntOption(int fd, int level, int name, int value);

// SO_LINGER. seconds < 0 means linger off.
int GetLinger(int fd, int* seconds);
int SetLinger(int fd, int seconds);

// SO_KEEPALIVE plus TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT (seconds, seconds, probes).
// In SetKeepAlive a negative timer value leaves that timer as it is. The timers are set before
// SO_KEEPALIVE is switched on so that the first probe is already scheduled with them.
struct KeepAlive {
  int enable;
  int idle;
  int interval;
  int count;
};
// On failure *failed names the option that failed ("TCP_KEEPIDLE", ...).
int SetKeepAlive(int fd, const KeepAlive& keepalive, const char** failed);
int GetKeepAlive(int fd, KeepAlive* keepalive);

// SO_ERROR: the pending error, cleared by reading it.
int TakeError(int fd, int* pending);

// SIOCINQ (unread), SIOCOUTQ (unacknowledged + unsent), SIOCOUTQNSD (not yet sent).
struct Queues {
  int unread;
  int unacked_and_unsent;
  int unsent;
};
// On failure *failed names the ioctl that failed.
int GetQueues(int fd, Queues* queues, const char** failed);

// getsockopt(TCP_INFO) into buf; *length is the buffer size in and the kernel's size out.
int GetTcpInfo(int fd, void* buf, unsigned* length);

// GetTcpInfo for fds[0..count): socket i into out + i * stride (stride bytes offered), its length
// or -errno into lengths[i]; a negative fd is -EBADF without a syscall. Returns how many succeeded.
size_t GetTcpInfoBatch(const int32_t* fds, size_t count, uint8_t* out, size_t stride,
                       int32_t* lengths);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_OPTIONS_H_
