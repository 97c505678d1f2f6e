// Classic BPF socket filters: socket(7) SO_ATTACH_FILTER, SO_DETACH_FILTER, with the program
// format of linux/filter.h (Documentation/networking/filter.rst).
#include "filter.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sockctl::core {

int AttachFilter(int fd, const sock_filter* program, size_t count) {
  if (count == 0 || count > BPF_MAXINSNS) return EINVAL;
  sock_fprog fprog = {};
  fprog.len = static_cast<unsigned short>(count);
  // sock_fprog.filter is not const-qualified; the kernel only copies the program.
  fprog.filter = const_cast<sock_filter*>(program);
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) == 0 ? 0 : errno;
}

int DetachFilter(int fd) {
  // The kernel ignores the value; some kernels still insist on an int-sized option.
  int unused = 0;
  return setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused)) == 0 ? 0 : errno;
}

int ProbeAttach(int family, const char** step) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    *step = "socket";
    return errno;
  }
  // BPF_RET | BPF_K with k = 0: keep 0 bytes of every packet, i.e. drop it.
  const sock_filter drop_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  int err = AttachFilter(fd, drop_all, 1);
  if (err != 0) *step = "setsockopt";
  close(fd);
  return err;
}

}  // namespace sockctl::core
