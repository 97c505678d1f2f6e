// Classic BPF socket filters, socket(7) SO_ATTACH_FILTER / SO_DETACH_FILTER and filter(2)'s
// struct sock_fprog. Plain core: takes an fd, returns 0 or an errno.
#ifndef SOCKCTL_CORE_FILTER_H_
#define SOCKCTL_CORE_FILTER_H_

namespace sockctl::core {

// Attaches the one-instruction program `ret #0`: the kernel keeps 0 bytes of every packet for
// this socket, so TCP never sees a segment (no ACK, no RST). Replaces any filter already there.
int AttachDropAll(int fd);

// Removes the socket's filter. ENOENT when none is attached.
int DetachFilter(int fd);

// Whether this process may attach the drop-all filter to a TCP socket: creates a throwaway
// unconnected TCP socket of `family`, attaches, closes it. Returns 0 or the attach errno
// (EPERM without CAP_NET_ADMIN on kernels from 6.1.176 / 6.12 / 6.18); *syscall names the step
// that failed ("socket" or "setsockopt").
int ProbeDropAll(int family, const char** syscall);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_FILTER_H_
