// inet_diag dumps over NETLINK_SOCK_DIAG: sock_diag(7), netlink(7), linux/inet_diag.h (the
// request, inet_diag_msg, the bytecode ops), and the fds of this process from /proc/self/fd
// (proc(5)) and fstat(2). Every message is copied out with memcpy and bounds-checked before it
// is read: the bytes come from the kernel, or from a caller feeding the parser directly.
#include "sockets.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "owned_fd.h"

namespace sockctl::core {
namespace {

// Netlink answers come from the kernel within recvmsg; the bound only keeps a broken kernel
// from holding the event loop. A dump of a huge table takes milliseconds, not seconds.
constexpr int kDumpTimeoutMs = 10000;

uint32_t NextSequence() {
  static uint32_t sequence = 0;
  return __atomic_add_fetch(&sequence, 1, __ATOMIC_RELAXED);
}

// std::chrono rather than clock_gettime(2): glibc exports that from libc only since 2.17, above
// the x64 prebuild's floor (scripts/prebuilds.mjs).
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// --- bytecode ---------------------------------------------------------------------------
// inet_diag_bc_run walks the program: a condition that holds jumps `yes` bytes on, one that
// fails jumps `no` bytes; the socket matches when the walk ends exactly at the end. `yes` is a
// u8, so every long jump goes through INET_DIAG_BC_JMP, whose u16 `no` always applies. Ports
// are compared with GE + LE (kernels since 2.6; EQ came only in 4.16).

void PutOp(std::vector<uint8_t>* out, uint8_t code, uint8_t yes, uint16_t no) {
  inet_diag_bc_op op = {code, yes, no};
  const auto* bytes = reinterpret_cast<const uint8_t*>(&op);
  out->insert(out->end(), bytes, bytes + sizeof(op));
}

// One alternative: "port on `side` equals p" is GE p (8 bytes), LE p (8 bytes), then a JMP (4
// bytes) to the end of its block. Either comparison failing jumps to the next alternative.
constexpr size_t kAltSize = 2 * 2 * sizeof(inet_diag_bc_op) + sizeof(inet_diag_bc_op);

struct Alt {
  bool local;
  uint16_t port;
};

// Appends a block that matches when any of `alts` holds; a socket matching none jumps past
// the end of the whole program (`total` bytes), which rejects it.
void PutBlock(std::vector<uint8_t>* out, const std::vector<Alt>& alts, size_t total) {
  size_t block_end = out->size() + alts.size() * kAltSize;
  for (size_t i = 0; i < alts.size(); i++) {
    size_t start = out->size();
    bool last = i + 1 == alts.size();
    uint8_t ge = alts[i].local ? INET_DIAG_BC_S_GE : INET_DIAG_BC_D_GE;
    uint8_t le = alts[i].local ? INET_DIAG_BC_S_LE : INET_DIAG_BC_D_LE;
    // From the GE op: the next alternative starts kAltSize on; rejection is past the end.
    uint16_t ge_no = static_cast<uint16_t>(last ? total - start + 4 : kAltSize);
    PutOp(out, ge, 8, ge_no);
    PutOp(out, 0, 0, alts[i].port);
    size_t le_at = out->size();
    uint16_t le_no = static_cast<uint16_t>(last ? total - le_at + 4 : kAltSize - 8);
    PutOp(out, le, 8, le_no);
    PutOp(out, 0, 0, alts[i].port);
    size_t jmp_at = out->size();
    PutOp(out, INET_DIAG_BC_JMP, 4, static_cast<uint16_t>(block_end - jmp_at));
  }
}

// --- parsing ----------------------------------------------------------------------------

template <typename T>
T Load(const uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof(value));
  return value;
}

int ParseSocket(const uint8_t* payload, size_t length, DiagSink* sink) {
  if (length < sizeof(inet_diag_msg)) return EBADMSG;
  inet_diag_msg msg = Load<inet_diag_msg>(payload);
  if (msg.idiag_family != AF_INET && msg.idiag_family != AF_INET6) return EBADMSG;
  DiagSocket s = {};
  s.family = msg.idiag_family;
  s.state = msg.idiag_state;
  s.timer = msg.idiag_timer;
  s.retrans = msg.idiag_retrans;
  s.expires_ms = msg.idiag_expires;
  s.rqueue = msg.idiag_rqueue;
  s.wqueue = msg.idiag_wqueue;
  s.uid = msg.idiag_uid;
  s.inode = msg.idiag_inode;
  s.ifindex = msg.id.idiag_if;
  s.cookie = static_cast<uint64_t>(msg.id.idiag_cookie[1]) << 32 | msg.id.idiag_cookie[0];
  s.local_port = ntohs(msg.id.idiag_sport);
  s.remote_port = ntohs(msg.id.idiag_dport);
  size_t address_bytes = s.family == AF_INET ? 4 : 16;
  std::memcpy(s.local, msg.id.idiag_src, address_bytes);
  std::memcpy(s.remote, msg.id.idiag_dst, address_bytes);
  // Attributes follow the message, each aligned to 4 bytes.
  size_t at = NLMSG_ALIGN(sizeof(inet_diag_msg));
  while (at + sizeof(rtattr) <= length) {
    rtattr attr = Load<rtattr>(payload + at);
    if (attr.rta_len < sizeof(rtattr) || attr.rta_len > length - at) return EBADMSG;
    if (attr.rta_type == INET_DIAG_INFO) {
      s.info = payload + at + RTA_LENGTH(0);
      s.info_length = attr.rta_len - RTA_LENGTH(0);
    }
    at += RTA_ALIGN(attr.rta_len);
  }
  return sink->Accept(s);
}

// The bytecode's blocks (AND), each a list of alternatives (OR).
int BuildBlocks(const PortFilter& ports, std::vector<uint8_t>* bytecode) {
  std::vector<std::vector<Alt>> blocks;
  if (!ports.local.empty()) {
    std::vector<Alt> alts;
    for (uint16_t p : ports.local) alts.push_back({true, p});
    blocks.push_back(alts);
  }
  if (!ports.remote.empty()) {
    std::vector<Alt> alts;
    for (uint16_t p : ports.remote) alts.push_back({false, p});
    blocks.push_back(alts);
  }
  if (!ports.either.empty()) {
    std::vector<Alt> alts;
    for (uint16_t p : ports.either) {
      alts.push_back({true, p});
      alts.push_back({false, p});
    }
    blocks.push_back(alts);
  }
  size_t total = 0;
  for (const auto& alts : blocks) total += alts.size() * kAltSize;
  // One netlink attribute holds the program: its length is a u16, header included.
  if (total + NLA_HDRLEN > UINT16_MAX) return E2BIG;
  bytecode->reserve(total);
  for (const auto& alts : blocks) PutBlock(bytecode, alts, total);
  return 0;
}

}  // namespace

int BuildPortBytecode(const PortFilter& ports, std::vector<uint8_t>* bytecode) {
  bytecode->clear();
  size_t count = ports.local.size() + ports.remote.size() + ports.either.size();
  if (count > kMaxFilterPorts) return E2BIG;
  // Out of memory is an errno here like everywhere in the core, never an exception.
  try {
    return BuildBlocks(ports, bytecode);
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  }
}

int ParseDatagram(const uint8_t* data, size_t length, uint32_t sequence, DiagSink* sink,
                  bool* done) {
  *done = false;
  size_t at = 0;
  while (length - at >= sizeof(nlmsghdr)) {
    nlmsghdr header = Load<nlmsghdr>(data + at);
    if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > length - at) return EBADMSG;
    const uint8_t* payload = data + at + NLMSG_HDRLEN;
    size_t payload_length = header.nlmsg_len - std::min<size_t>(header.nlmsg_len, NLMSG_HDRLEN);
    if (header.nlmsg_seq == sequence) {
      if (header.nlmsg_type == NLMSG_DONE) {
        *done = true;
        // Since 4.x the kernel puts the dump's result in NLMSG_DONE: negative is an error.
        if (payload_length >= sizeof(int)) {
          int result = Load<int>(payload);
          if (result < -4095) return EBADMSG;
          if (result < 0) return -result;
        }
        return 0;
      }
      if (header.nlmsg_type == NLMSG_ERROR) {
        *done = true;
        if (payload_length < sizeof(nlmsgerr)) return EBADMSG;
        int error = Load<nlmsgerr>(payload).error;
        // A positive or absurd value cannot come from the kernel.
        if (error > 0 || error < -4095) return EBADMSG;
        return -error;
      }
      if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY || header.nlmsg_type == TCPDIAG_GETSOCK) {
        int err = ParseSocket(payload, payload_length, sink);
        if (err != 0) return err;
      }
    }
    size_t next = NLMSG_ALIGN(header.nlmsg_len);
    if (next > length - at) break;
    at += next;
  }
  // Bytes left that cannot hold a header: a truncated message.
  return at == length || length - at >= sizeof(nlmsghdr) ? 0 : EBADMSG;
}

namespace {

// Counts what passes through, so a refused request can be retried another way only when the
// kernel refused it before delivering anything.
class CountingSink : public DiagSink {
 public:
  explicit CountingSink(DiagSink* inner) : inner_(inner) {}
  int Accept(const DiagSocket& socket) override {
    delivered_++;
    return inner_->Accept(socket);
  }
  void Received(const uint8_t* data, size_t length, uint32_t sequence) override {
    inner_->Received(data, length, sequence);
  }
  size_t delivered() const { return delivered_; }

 private:
  DiagSink* inner_;
  size_t delivered_ = 0;
};

// Copies a request body after the netlink header; returns its length.
template <typename Body>
size_t PutBody(uint8_t* message, const Body& body) {
  std::memcpy(message + NLMSG_HDRLEN, &body, sizeof(body));
  return sizeof(body);
}

// One request, one answer read to its end through one buffer.
int DumpOnce(const DumpRequest& request, const std::vector<uint8_t>& bytecode, DiagSink* sink,
             const char** step) {
  OwnedFd nl(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG));
  if (nl.get() < 0) return Fail(step, "socket");

  uint32_t sequence = NextSequence();
  uint8_t ext = request.info ? 1 << (INET_DIAG_INFO - 1) : 0;
  // Header and body; the bytecode attribute goes out as a second iovec.
  uint8_t message[NLMSG_LENGTH(sizeof(inet_diag_req)) + NLA_HDRLEN] = {};
  size_t body_length;
  nlmsghdr header = {};
  if (request.family == AF_UNSPEC) {
    // The request before sock_diag: the kernel answers it with sdiag_family AF_UNSPEC, which
    // walks its tables once for IPv4 and IPv6 together (inet_diag_dump_compat).
    inet_diag_req body = {};
    body.idiag_family = AF_INET;
    body.idiag_ext = ext;
    body.idiag_states = request.states;
    header.nlmsg_type = TCPDIAG_GETSOCK;
    body_length = PutBody(message, body);
  } else {
    inet_diag_req_v2 body = {};
    body.sdiag_family = static_cast<uint8_t>(request.family);
    body.sdiag_protocol = IPPROTO_TCP;
    body.idiag_ext = ext;
    body.idiag_states = request.states;
    header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    body_length = PutBody(message, body);
  }
  size_t head_length = NLMSG_LENGTH(body_length);
  size_t filter_length = bytecode.empty() ? 0 : NLA_HDRLEN + bytecode.size();
  if (filter_length > 0) {
    nlattr filter = {static_cast<uint16_t>(filter_length), INET_DIAG_REQ_BYTECODE};
    std::memcpy(message + head_length, &filter, sizeof(filter));
  }
  header.nlmsg_len = static_cast<uint32_t>(head_length + NLA_ALIGN(filter_length));
  header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  header.nlmsg_seq = sequence;
  std::memcpy(message, &header, sizeof(header));

  sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  iovec parts[2] = {
      {message, head_length + (filter_length > 0 ? NLA_HDRLEN : 0)},
      {const_cast<uint8_t*>(bytecode.data()), bytecode.size()},
  };
  msghdr out = {};
  out.msg_name = &kernel;
  out.msg_namelen = sizeof(kernel);
  out.msg_iov = parts;
  out.msg_iovlen = filter_length > 0 ? 2 : 1;
  if (sendmsg(nl.get(), &out, 0) < 0) return Fail(step, "sendmsg");

  // One buffer for the whole dump, however many sockets the kernel walks.
  std::unique_ptr<uint8_t[]> buffer(new (std::nothrow) uint8_t[kDumpBufferSize]);
  if (!buffer) {
    *step = "recvmsg";
    return ENOMEM;
  }
  int64_t deadline = NowMs() + kDumpTimeoutMs;
  for (;;) {
    sockaddr_nl from = {};
    iovec part = {buffer.get(), kDumpBufferSize};
    msghdr in = {};
    in.msg_name = &from;
    in.msg_namelen = sizeof(from);
    in.msg_iov = &part;
    in.msg_iovlen = 1;
    ssize_t n = recvmsg(nl.get(), &in, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return Fail(step, "recvmsg");
      int64_t left = deadline - NowMs();
      pollfd p = {nl.get(), POLLIN, 0};
      int ready = left > 0 ? poll(&p, 1, static_cast<int>(left)) : 0;
      if (ready < 0 && errno != EINTR) return Fail(step, "poll");
      if (ready == 0) {
        *step = "poll";
        return ETIMEDOUT;
      }
      continue;
    }
    *step = "recvmsg";
    if (in.msg_flags & MSG_TRUNC) return EMSGSIZE;
    // Only the kernel (port 0) answers; anything else on this socket is not ours to parse.
    if (from.nl_pid != 0) continue;
    sink->Received(buffer.get(), static_cast<size_t>(n), sequence);
    bool done = false;
    int err = ParseDatagram(buffer.get(), static_cast<size_t>(n), sequence, sink, &done);
    if (err != 0) return err;
    if (done) return 0;
    if (NowMs() > deadline) {
      *step = "poll";
      return ETIMEDOUT;
    }
  }
}

}  // namespace

int Dump(const DumpRequest& request, DiagSink* sink, const char** step) {
  std::vector<uint8_t> bytecode;
  if (request.ports != nullptr && !request.ports->empty()) {
    int err = BuildPortBytecode(*request.ports, &bytecode);
    if (err != 0) {
      *step = "sendmsg";
      return err;
    }
  }
  if (request.family != AF_UNSPEC) return DumpOnce(request, bytecode, sink, step);
  CountingSink counting(sink);
  int err = DumpOnce(request, bytecode, &counting, step);
  // A kernel without the old request (or with it compiled out) refuses it outright: ask per
  // family instead, and report that answer.
  if (err == 0 || counting.delivered() > 0 || std::strcmp(*step, "recvmsg") != 0 ||
      (err != EINVAL && err != EOPNOTSUPP)) {
    return err;
  }
  for (int family : {AF_INET, AF_INET6}) {
    DumpRequest one = request;
    one.family = family;
    err = DumpOnce(one, bytecode, sink, step);
    if (err != 0) return err;
  }
  return 0;
}

int FdTableSize(int* size, const char** step) {
  OwnedFd status(open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  if (status.get() < 0) return Fail(step, "open");
  char text[8192];
  size_t length = 0;
  for (;;) {
    ssize_t n = read(status.get(), text + length, sizeof(text) - 1 - length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(step, "read");
    }
    if (n == 0 || (length += static_cast<size_t>(n)) == sizeof(text) - 1) break;
  }
  text[length] = '\0';
  const char* field = std::strstr(text, "\nFDSize:");
  long value = field == nullptr ? -1 : std::strtol(field + 8, nullptr, 10);
  if (value <= 0 || value > INT32_MAX) {
    *step = "read";
    return EBADMSG;
  }
  *size = static_cast<int>(value);
  return 0;
}

int OwnedSocketInodes(std::vector<uint32_t>* inodes, const char** step) {
  inodes->clear();
  int size = 0;
  int err = FdTableSize(&size, step);
  if (err != 0) return err;
  for (int fd = 0; fd < size; fd++) {
    struct stat st;
    // A closed fd is EBADF; one closed by another thread meanwhile is simply not there. The
    // syscall itself: glibc 2.33 turned fstat into a symbol of its own (fstat64@GLIBC_2.33), which
    // the prebuild's glibc floor does not allow; the kernel's struct stat is glibc's on x86-64 and
    // arm64.
    if (syscall(SYS_fstat, fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
      try {
        inodes->push_back(static_cast<uint32_t>(st.st_ino));
      } catch (const std::bad_alloc&) {
        *step = "fstat";
        return ENOMEM;
      }
    }
  }
  std::sort(inodes->begin(), inodes->end());
  inodes->erase(std::unique(inodes->begin(), inodes->end()), inodes->end());
  return 0;
}

}  // namespace sockctl::core
