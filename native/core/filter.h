// Classic BPF socket filters: socket(7) SO_ATTACH_FILTER / SO_DETACH_FILTER with the program
// format of linux/filter.h (struct sock_fprog). Plain core: takes an fd, returns 0 or an errno.
#ifndef SOCKCTL_CORE_FILTER_H_
#define SOCKCTL_CORE_FILTER_H_

#include <linux/filter.h>

#include <cstddef>

namespace sockctl::core {

// Attaches `count` instructions. The kernel checks the program (sk_chk_filter: EINVAL for an
// invalid one) and copies it; replaces any filter already there.
int AttachFilter(int fd, const sock_filter* program, size_t count);

// Removes the socket's filter. ENOENT when none is attached.
int DetachFilter(int fd);

// Whether this process may attach a filter to a TCP socket: creates a throwaway unconnected TCP
// socket of `family`, attaches the one-instruction drop-all program, closes it. Returns 0 or the
// errno (EPERM without CAP_NET_ADMIN on kernels from 6.1.176 / 6.12 / 6.18); *step names the
// syscall that failed ("socket" or "setsockopt").
int ProbeAttach(int family, const char** step);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_FILTER_H_
