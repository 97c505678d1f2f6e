// A snapshot of TCP sockets from the kernel's own tables: one NETLINK_SOCK_DIAG dump per family
// (SOCK_DIAG_BY_FAMILY with an inet_diag_req_v2 and INET_DIAG_INFO, linux/inet_diag.h,
// sock_diag(7)), read through one fixed-size buffer, optionally filtered in the kernel by ports
// (INET_DIAG_REQ_BYTECODE), and the socket inodes of this process's fds (fstat(2) on each entry
// of /proc/self/fd, proc(5)). Plain core: no N-API types; every function returns 0 or an errno
// and names the failing syscall in *step.
#ifndef SOCKCTL_CORE_SOCKETS_H_
#define SOCKCTL_CORE_SOCKETS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sockctl::core {

// One socket as an inet_diag_msg and its attributes describe it. Pointers point into the
// receive buffer and are valid only during the sink's call.
struct DiagSocket {
  uint8_t family;  // AF_INET or AF_INET6
  uint8_t state;   // kernel TCP state number (TCP_ESTABLISHED = 1 ...)
  uint8_t
      timer;  // idiag_timer: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe
  uint8_t retrans;      // idiag_retrans: retransmissions or probes of that timer
  uint32_t expires_ms;  // idiag_expires: ms until the timer fires
  uint32_t rqueue;      // unread bytes (LISTEN: connections waiting in the accept queue)
  uint32_t wqueue;      // unsent + unacknowledged bytes (LISTEN: the backlog)
  uint32_t uid;
  uint32_t inode;  // 0 when no fd holds the socket (TIME_WAIT, orphaned, SYN_RECV)
  uint32_t ifindex;
  uint64_t cookie;
  uint16_t local_port;  // host order
  uint16_t remote_port;
  uint8_t local[16];  // network order; IPv4 in the first 4 bytes
  uint8_t remote[16];
  const uint8_t* info;  // struct tcp_info as long as the kernel made it; null when absent
  uint32_t info_length;
};

// Receives each socket of a dump. Returns 0 to go on, or an errno that ends the dump with it.
class DiagSink {
 public:
  virtual ~DiagSink() = default;
  virtual int Accept(const DiagSocket& socket) = 0;
  // Sees each datagram as received, before it is parsed (tests keep real dumps this way).
  virtual void Received(const uint8_t* /*data*/, size_t /*length*/, uint32_t /*sequence*/) {}
};

// Port sets a dump is filtered by in the kernel: a socket matches when its local port is in
// `local` (if any given), its remote port in `remote` (if any) and one of its two ports in
// `either` (if any). Empty sets do not filter.
struct PortFilter {
  std::vector<uint16_t> local;
  std::vector<uint16_t> remote;
  std::vector<uint16_t> either;
  bool empty() const { return local.empty() && remote.empty() && either.empty(); }
};

// Most ports a filter may name in all: the bytecode takes 20 bytes a port and side (40 for a
// port on either side) and must fit one netlink attribute (64 KiB).
constexpr size_t kMaxFilterPorts = 1000;

struct DumpRequest {
  // AF_INET, AF_INET6, or AF_UNSPEC for both in one walk of the kernel's tables (the
  // TCPDIAG_GETSOCK request, which the kernel answers for both families; two SOCK_DIAG_BY_FAMILY
  // dumps on a kernel that refuses it).
  int family = 0;
  uint32_t states = ~0u;  // bit (1 << state) per TCP state wanted
  bool info = true;       // ask for INET_DIAG_INFO (struct tcp_info)
  const PortFilter* ports = nullptr;
};

// The inet_diag bytecode that keeps only sockets matching `ports` (inet_diag_bc_op programs, as
// ss(8) builds them). E2BIG past kMaxFilterPorts.
int BuildPortBytecode(const PortFilter& ports, std::vector<uint8_t>* bytecode);

// Size of the buffer a dump is read through, whatever the number of sockets: the kernel caps a
// dump's datagrams at 32 KiB (netlink_dump), so one fits.
constexpr size_t kDumpBufferSize = 64 * 1024;

// Opens a NETLINK_SOCK_DIAG socket, sends the request, and feeds every socket of the answer to
// `sink`. Steps: "socket", "sendmsg", "recvmsg", "poll" (no answer in time); a refusal by the
// kernel (ENOENT: no inet_diag/tcp_diag for the family; EINVAL) comes from "recvmsg" too, as
// does EBADMSG for an answer that does not parse.
int Dump(const DumpRequest& request, DiagSink* sink, const char** step);

// Parses one datagram of a dump answer (what one recvmsg gave) for request `sequence`. Sets
// *done on NLMSG_DONE or NLMSG_ERROR. Messages of other sequences are skipped. Never reads past
// data + length: a malformed or truncated message is EBADMSG. Exposed so that the parser can be
// fed hostile bytes directly.
int ParseDatagram(const uint8_t* data, size_t length, uint32_t sequence, DiagSink* sink,
                  bool* done);

// The inodes of the sockets this process's fds refer to (every socket, any kind), sorted.
// fstat(2) on every fd number below the fd table's size (FDSize in /proc/self/status; listing
// /proc/self/fd costs ~1.5 µs an fd, fstat ~0.3 µs): the fds are not read, written or closed.
// Step "open" or "read" when /proc/self/status cannot be read.
int OwnedSocketInodes(std::vector<uint32_t>* inodes, const char** step);

// The size of this process's fd table (every open fd is below it).
int FdTableSize(int* size, const char** step);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_SOCKETS_H_
