// Socket options on a caller's fd: socket(7), tcp(7), getsockopt(2). Returns errno values.
#include "options.h"

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace sockctl::core {

int GetIntOption(int fd, int level, int name, int* value) {
  socklen_t len = sizeof(*value);
  *value = 0;
  return getsockopt(fd, level, name, value, &len) == 0 ? 0 : errno;
}

int SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0 ? 0 : errno;
}

int GetLinger(int fd, int* seconds) {
  struct linger l = {};
  socklen_t len = sizeof(l);
  if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) != 0) return errno;
  *seconds = l.l_onoff ? l.l_linger : -1;
  return 0;
}

int SetLinger(int fd, int seconds) {
  struct linger l = {};
  l.l_onoff = seconds >= 0 ? 1 : 0;
  l.l_linger = seconds >= 0 ? seconds : 0;
  return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) == 0 ? 0 : errno;
}

int SetKeepAlive(int fd, const KeepAlive& k, const char** failed) {
  struct Step {
    int level, name, value;
    const char* label;
  };
  const Step steps[] = {
      {IPPROTO_TCP, TCP_KEEPIDLE, k.idle, "TCP_KEEPIDLE"},
      {IPPROTO_TCP, TCP_KEEPINTVL, k.interval, "TCP_KEEPINTVL"},
      {IPPROTO_TCP, TCP_KEEPCNT, k.count, "TCP_KEEPCNT"},
      {SOL_SOCKET, SO_KEEPALIVE, k.enable ? 1 : 0, "SO_KEEPALIVE"},
  };
  for (const Step& step : steps) {
    if (step.value < 0) continue;
    int err = SetIntOption(fd, step.level, step.name, step.value);
    if (err != 0) {
      *failed = step.label;
      return err;
    }
  }
  return 0;
}

int GetKeepAlive(int fd, KeepAlive* k) {
  int err = GetIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, &k->enable);
  if (err == 0) err = GetIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, &k->idle);
  if (err == 0) err = GetIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, &k->interval);
  if (err == 0) err = GetIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, &k->count);
  return err;
}

int TakeError(int fd, int* pending) { return GetIntOption(fd, SOL_SOCKET, SO_ERROR, pending); }

int GetQueues(int fd, Queues* q, const char** failed) {
  struct Step {
    unsigned long request;
    int* out;
    const char* label;
  };
  const Step steps[] = {
      {SIOCINQ, &q->unread, "SIOCINQ"},
      {SIOCOUTQ, &q->unacked_and_unsent, "SIOCOUTQ"},
      {SIOCOUTQNSD, &q->unsent, "SIOCOUTQNSD"},
  };
  for (const Step& step : steps) {
    if (ioctl(fd, step.request, step.out) != 0) {
      *failed = step.label;
      return errno;
    }
  }
  return 0;
}

int GetTcpInfo(int fd, void* buf, unsigned* length) {
  socklen_t len = *length;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, &len) != 0) return errno;
  *length = len;
  return 0;
}

size_t GetTcpInfoBatch(const int32_t* fds, size_t count, uint8_t* out, size_t stride,
                       int32_t* lengths) {
  size_t read = 0;
  unsigned offered = stride > UINT32_MAX ? UINT32_MAX : static_cast<unsigned>(stride);
  for (size_t i = 0; i < count; i++) {
    // Read once: the caller's memory may change under us (a SharedArrayBuffer), the bound not.
    int32_t fd = fds[i];
    if (fd < 0) {
      lengths[i] = -EBADF;
      continue;
    }
    unsigned length = offered;
    int err = GetTcpInfo(fd, out + i * stride, &length);
    lengths[i] = err != 0 ? -err : static_cast<int32_t>(length);
    if (err == 0) read++;
  }
  return read;
}

}  // namespace sockctl::core
