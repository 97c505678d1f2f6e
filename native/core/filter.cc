// Drop-all classic BPF filter for a socket: socket(7) SO_ATTACH_FILTER, SO_DETACH_FILTER,
// with the program format of linux/filter.h (Documentation/networking/filter.rst).
#include "filter.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sockctl::core {
namespace {

// BPF_RET | BPF_K with k = 0: accept 0 bytes, i.e. drop the packet. Not const because
// sock_fprog.filter is a non-const pointer; the kernel only copies it.
sock_filter kDropAll[] = {BPF_STMT(BPF_RET | BPF_K, 0)};

}  // namespace

int AttachDropAll(int fd) {
  sock_fprog program = {};
  program.len = sizeof(kDropAll) / sizeof(kDropAll[0]);
  program.filter = kDropAll;
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) == 0 ? 0
                                                                                      : errno;
}

int DetachFilter(int fd) {
  // The kernel ignores the value; some kernels still insist on an int-sized option.
  int unused = 0;
  return setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused)) == 0 ? 0 : errno;
}

int ProbeDropAll(int family, const char** syscall) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    *syscall = "socket";
    return errno;
  }
  int err = AttachDropAll(fd);
  if (err != 0) *syscall = "setsockopt";
  close(fd);
  return err;
}

}  // namespace sockctl::core
