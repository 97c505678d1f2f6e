// Binding for the socket snapshot (core/sockets): sock_diag(7) inet_diag dumps matched against
// this process's fds, written as fixed-layout records into one ArrayBuffer that TypeScript
// (src/controls/sockets.ts) decodes lazily. Which sockets no fd holds (TIME_WAIT, orphaned,
// SYN_RECV) still belong to this process is decided here from its listeners, see Attribution.
//
// Record layout (little-endian, each record aligned to 8 bytes):
//    0 u8 family (4 | 6)        1 u8 state           2 u8 timer         3 u8 timer retries
//    4 u8 attribution           5 u8 0               6 u16 tcp_info length
//    8 u32 timer expiry (ms)   12 u32 unread        16 u32 unsent + unacked
//   20 u32 uid                 24 u32 inode         28 u16 local port  30 u16 remote port
//   32 u32 interface index     36 u32 0             40 u64 cookie
//   48 16 bytes local address  64 16 bytes remote address (IPv4: first 4 bytes)
//   80 tcp_info bytes, padded to 8
#include "sockets.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "args.h"
#include "core/sockets.h"
#include "errors.h"

namespace sockctl {
namespace {

constexpr size_t kRecordHeader = 80;
// A longer struct tcp_info than any kernel has today is cut here; the decoder reads what it knows.
constexpr uint32_t kMaxInfo = 1024;

// Why a socket is in the snapshot.
enum Attribution : uint8_t {
  kByFd = 0,        // an fd of this process holds it
  kByListener = 1,  // no fd; its local end is a listener of this process (the accepted side)
  kByPeer = 2,      // no fd; its remote end is a listener of this process (the connecting side)
  kByFilter = 3,    // only the port filter matched it
  kUnknown = 254,   // not asked yet (a port-filtered snapshot before attribute())
  kNone = 255,
};

// An address as IPv6 (IPv4 as ::ffff:a.b.c.d), so a dual-stack listener compares with both.
struct Address {
  uint8_t bytes[16];
};

Address Normalize(uint8_t family, const uint8_t* raw) {
  Address a = {};
  if (family == AF_INET) {
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(a.bytes + 12, raw, 4);
  } else {
    std::memcpy(a.bytes, raw, 16);
  }
  return a;
}

bool IsMappedV4(const Address& a) {
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a.bytes, prefix, 12) == 0;
}

bool IsLoopback(const Address& a) {
  static const uint8_t one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(a.bytes, one, 16) == 0 || (IsMappedV4(a) && a.bytes[12] == 127);
}

bool Equal(const Address& a, const Address& b) { return std::memcmp(a.bytes, b.bytes, 16) == 0; }

struct Listener {
  uint8_t family;
  bool wildcard;
  Address address;
  uint16_t port;

  // Whether `address` is one this listener accepts on.
  bool Covers(const Address& other) const {
    if (!wildcard) return Equal(address, other);
    return family == AF_INET6 || IsMappedV4(other);
  }
};

bool Owned(const std::vector<uint32_t>& inodes, uint32_t inode) {
  return inode != 0 && std::binary_search(inodes.begin(), inodes.end(), inode);
}

// Collects this process's listening sockets for attribution.
class ListenerSink : public core::DiagSink {
 public:
  ListenerSink(const std::vector<uint32_t>& inodes, std::vector<Listener>* out)
      : inodes_(inodes), out_(out) {}
  int Accept(const core::DiagSocket& s) override {
    if (!Owned(inodes_, s.inode)) return 0;
    Listener l = {};
    l.family = s.family;
    l.address = Normalize(s.family, s.local);
    static const uint8_t zero[16] = {};
    l.wildcard = std::memcmp(s.local, zero, s.family == AF_INET ? 4 : 16) == 0;
    l.port = s.local_port;
    // Out of memory is an error for the caller, not an exception through the netlink core.
    try {
      out_->push_back(l);
    } catch (const std::bad_alloc&) {
      return ENOMEM;
    }
    return 0;
  }

 private:
  const std::vector<uint32_t>& inodes_;
  std::vector<Listener>* out_;
};

// Where a snapshot's records are gathered before they are copied into the ArrayBuffer V8
// allocates for them: one block per thread, kept between snapshots so that a process taking one
// every second does not allocate and free a block of the result's size each time (glibc then
// held ~16 MB more after a few thousand 1,000-socket snapshots). A block past kKeptScratch is
// given back after use. Not an external ArrayBuffer over this memory: Node runs the finalizers of
// those from the event loop, so a loop of snapshots that never yields piled every one of them up
// (+690 MB over 2,000 snapshots), where V8 collects its own buffers as its heap fills.
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  uint8_t* data() const { return data_; }
  // At least `capacity` bytes, the current ones kept; false when memory ran out.
  bool Reserve(size_t capacity) {
    if (capacity <= capacity_) return true;
    size_t grown_capacity = std::max(capacity, std::max(capacity_ * 2, size_t{64} << 10));
    void* grown = std::realloc(data_, grown_capacity);
    if (grown == nullptr) return false;
    data_ = static_cast<uint8_t*>(grown);
    capacity_ = grown_capacity;
    return true;
  }
  // Gives a block larger than `most` back.
  void Trim(size_t most) {
    if (capacity_ <= most) return;
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
  }

 private:
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
};

constexpr size_t kKeptScratch = 4 << 20;

// An ArrayBuffer V8 allocates, holding a copy of `size` bytes.
Napi::ArrayBuffer CopyOut(Napi::Env env, const uint8_t* data, size_t size) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, size);
  if (size > 0) std::memcpy(buffer.Data(), data, size);
  return buffer;
}

class RecordBuffer {
 public:
  RecordBuffer() : scratch_(ThreadScratch()) {}
  RecordBuffer(const RecordBuffer&) = delete;
  RecordBuffer& operator=(const RecordBuffer&) = delete;
  ~RecordBuffer() { scratch_.Trim(kKeptScratch); }

  // Room for `size` more bytes at the end, or nullptr when memory ran out.
  uint8_t* Append(size_t size) {
    if (!scratch_.Reserve(size_ + size)) return nullptr;
    uint8_t* at = scratch_.data() + size_;
    size_ += size;
    return at;
  }

  Napi::ArrayBuffer ToArrayBuffer(Napi::Env env) const {
    return CopyOut(env, scratch_.data(), size_);
  }

 private:
  static Scratch& ThreadScratch() {
    thread_local Scratch scratch;
    return scratch;
  }
  Scratch& scratch_;
  size_t size_ = 0;
};

void Put16(uint8_t* at, uint16_t v) { std::memcpy(at, &v, sizeof(v)); }
void Put32(uint8_t* at, uint32_t v) { std::memcpy(at, &v, sizeof(v)); }
void Put64(uint8_t* at, uint64_t v) { std::memcpy(at, &v, sizeof(v)); }

// Appends each socket it keeps to `out` as one record.
class RecordSink : public core::DiagSink {
 public:
  RecordSink(const std::vector<uint32_t>* inodes, const std::vector<Listener>* listeners,
             bool keep_all, RecordBuffer* out)
      : inodes_(inodes), listeners_(listeners), keep_all_(keep_all), out_(out) {}

  int Accept(const core::DiagSocket& s) override {
    uint8_t why = inodes_ == nullptr ? static_cast<uint8_t>(kUnknown) : Attribute(s);
    if (why == kNone) {
      if (!keep_all_) return 0;
      why = kByFilter;
    }
    uint32_t info_length = s.info == nullptr ? 0 : std::min(s.info_length, kMaxInfo);
    size_t size = kRecordHeader + ((info_length + 7) & ~size_t{7});
    uint8_t* r = out_->Append(size);
    // A failed allocation is an error for the caller, not an abort of the process.
    if (r == nullptr) return ENOMEM;
    std::memset(r, 0, kRecordHeader);
    std::memset(r + kRecordHeader + info_length, 0, size - kRecordHeader - info_length);
    r[0] = s.family == AF_INET ? 4 : 6;
    r[1] = s.state;
    r[2] = s.timer;
    r[3] = s.retrans;
    r[4] = why;
    Put16(r + 6, static_cast<uint16_t>(info_length));
    Put32(r + 8, s.expires_ms);
    Put32(r + 12, s.rqueue);
    Put32(r + 16, s.wqueue);
    Put32(r + 20, s.uid);
    Put32(r + 24, s.inode);
    Put16(r + 28, s.local_port);
    Put16(r + 30, s.remote_port);
    Put32(r + 32, s.ifindex);
    Put64(r + 40, s.cookie);
    std::memcpy(r + 48, s.local, 16);
    std::memcpy(r + 64, s.remote, 16);
    if (info_length > 0) std::memcpy(r + kRecordHeader, s.info, info_length);
    count_++;
    return 0;
  }

  uint32_t count() const { return count_; }

  // Why `s` belongs to this process, or kNone.
  uint8_t Attribute(const core::DiagSocket& s) const {
    if (s.inode != 0) return Owned(*inodes_, s.inode) ? kByFd : kNone;
    Address local = Normalize(s.family, s.local);
    Address remote = Normalize(s.family, s.remote);
    for (const Listener& l : *listeners_) {
      if (s.local_port == l.port && l.Covers(local)) return kByListener;
    }
    // The connecting side of a connection to one of our listeners: only on this host (loopback,
    // or a connection to one of this host's own addresses), never a remote server that happens
    // to use the same port number.
    if (!IsLoopback(remote) && !Equal(local, remote)) return kNone;
    for (const Listener& l : *listeners_) {
      if (s.remote_port == l.port && l.Covers(remote)) return kByPeer;
    }
    return kNone;
  }

 private:
  const std::vector<uint32_t>* inodes_;
  const std::vector<Listener>* listeners_;
  bool keep_all_;
  RecordBuffer* out_;
  uint32_t count_ = 0;
};

// A failure of the netlink exchange names the request, as kill's SOCK_DESTROY does; one of the fd
// pass (/proc/self/status) is a plain SystemError.
Napi::Error SnapshotError(Napi::Env env, int err, const char* step) {
  if (std::strcmp(step, "sendmsg") == 0 || std::strcmp(step, "recvmsg") == 0 ||
      std::strcmp(step, "poll") == 0) {
    return RequestError(env, err, step, "SOCK_DIAG_BY_FAMILY");
  }
  return SystemError(env, err, step);
}

// A port list of the filter; null or undefined for none.
std::vector<uint16_t> PortsArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || info[index].IsUndefined() || info[index].IsNull()) return {};
  std::vector<int32_t> ports =
      IntegerArrayArg(info, index, name, 0, static_cast<uint32_t>(core::kMaxFilterPorts), 0, 65535);
  return std::vector<uint16_t>(ports.begin(), ports.end());
}

Napi::Value Result(Napi::Env env, const RecordBuffer& records, uint32_t count) {
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, records.ToArrayBuffer(env));
  out.Set(1u, Napi::Number::New(env, count));
  return out;
}

// This process's socket inodes and its listeners (one LISTEN-only dump of both families: the
// kernel walks only its listening table for it).
int Ownership(std::vector<uint32_t>* inodes, std::vector<Listener>* listeners, const char** step) {
  int err = core::OwnedSocketInodes(inodes, step);
  if (err != 0) return err;
  ListenerSink sink(*inodes, listeners);
  core::DumpRequest request;
  request.family = AF_UNSPEC;
  request.states = 1u << TCP_LISTEN;
  request.info = false;
  return core::Dump(request, &sink, step);
}

// snapshot(family 0|4|6, states, localPorts?, remotePorts?, ports?) → [records, count]
// Without ports: the sockets of this process, attributed. With ports: every socket on them,
// attribution left for attribute() (it costs an fstat per fd of the process).
Napi::Value Snapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int family = IntArg(info, 0, "family", 0, 6);
  if (family != 0 && family != 4 && family != 6) {
    throw ArgRangeError(env, "family", "0, 4 or 6");
  }
  uint32_t states = static_cast<uint32_t>(IntArg(info, 1, "states", 0, 0xffff));
  core::PortFilter ports;
  ports.local = PortsArg(info, 2, "localPorts");
  ports.remote = PortsArg(info, 3, "remotePorts");
  ports.either = PortsArg(info, 4, "ports");
  if (ports.local.size() + ports.remote.size() + ports.either.size() > core::kMaxFilterPorts) {
    throw ArgRangeError(env, "ports", "at most 1000 ports in all");
  }

  const char* step = "";
  std::vector<uint32_t> inodes;
  std::vector<Listener> listeners;
  bool owned = ports.empty();
  if (owned) {
    int err = Ownership(&inodes, &listeners, &step);
    if (err != 0) throw SnapshotError(env, err, step);
  }
  RecordBuffer records;
  RecordSink sink(owned ? &inodes : nullptr, &listeners, !owned, &records);
  core::DumpRequest request;
  request.family = family == 0 ? AF_UNSPEC : family == 4 ? AF_INET : AF_INET6;
  request.states = states;
  request.ports = &ports;
  int err = core::Dump(request, &sink, &step);
  if (err != 0) throw SnapshotError(env, err, step);
  return Result(env, records, sink.count());
}

// attribute(records): fills in each record's attribution byte (fd, listener, peer or filter).
Napi::Value Attribute(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes bytes = BytesArg(info, 0, "records");
  const char* step = "";
  std::vector<uint32_t> inodes;
  std::vector<Listener> listeners;
  int err = Ownership(&inodes, &listeners, &step);
  if (err != 0) throw SnapshotError(env, err, step);
  RecordSink judge(&inodes, &listeners, true, nullptr);
  // The records come back from JavaScript: every length is checked before it is followed.
  size_t at = 0;
  uint32_t count = 0;
  while (bytes.length - at >= kRecordHeader) {
    uint8_t* r = bytes.data + at;
    uint16_t info_length;
    std::memcpy(&info_length, r + 6, sizeof(info_length));
    size_t size = kRecordHeader + ((size_t{info_length} + 7) & ~size_t{7});
    if (size > bytes.length - at || (r[0] != 4 && r[0] != 6)) {
      throw ArgValueError(env, "records", "records from snapshot()");
    }
    core::DiagSocket s = {};
    s.family = r[0] == 4 ? AF_INET : AF_INET6;
    std::memcpy(&s.inode, r + 24, sizeof(s.inode));
    std::memcpy(&s.local_port, r + 28, sizeof(s.local_port));
    std::memcpy(&s.remote_port, r + 30, sizeof(s.remote_port));
    std::memcpy(s.local, r + 48, 16);
    std::memcpy(s.remote, r + 64, 16);
    uint8_t why = judge.Attribute(s);
    r[4] = why == kNone ? static_cast<uint8_t>(kByFilter) : why;
    at += size;
    count++;
  }
  return Napi::Number::New(env, count);
}

// inodes() → Uint32Array: the inodes of the sockets this process's fds hold, sorted (fstat only,
// no netlink: what a leak check's baseline needs, on any kernel).
Napi::Value Inodes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* step = "";
  std::vector<uint32_t> inodes;
  int err = core::OwnedSocketInodes(&inodes, &step);
  if (err != 0) throw SnapshotError(env, err, step);
  Napi::Uint32Array out = Napi::Uint32Array::New(env, inodes.size());
  if (!inodes.empty()) std::memcpy(out.Data(), inodes.data(), inodes.size() * sizeof(uint32_t));
  return out;
}

// parse(datagram, sequence) → [records, count]: the dump parser on given bytes, every socket
// kept (attribution not asked). A malformed datagram throws EBADMSG (syscall "recvmsg").
Napi::Value Parse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes bytes = BytesArg(info, 0, "datagram");
  double sequence = 0;
  if (info.Length() < 2 || !info[1].IsNumber() ||
      !(sequence = info[1].As<Napi::Number>().DoubleValue(),
        sequence >= 0 && sequence <= 4294967295.0) ||
      sequence != static_cast<double>(static_cast<uint32_t>(sequence))) {
    throw ArgRangeError(env, "sequence", "an integer >= 0 and <= 4294967295");
  }
  RecordBuffer records;
  RecordSink sink(nullptr, nullptr, true, &records);
  bool done = false;
  int err =
      core::ParseDatagram(bytes.data, bytes.length, static_cast<uint32_t>(sequence), &sink, &done);
  if (err != 0) throw SnapshotError(env, err, "recvmsg");
  return Result(env, records, sink.count());
}

// Keeps the raw datagrams of a dump (the first kMaxCaptured), for tests of the parser.
class CaptureSink : public core::DiagSink {
 public:
  static constexpr size_t kMaxCaptured = 16;
  int Accept(const core::DiagSocket&) override { return 0; }
  void Received(const uint8_t* data, size_t length, uint32_t sequence) override {
    sequence_ = sequence;
    if (datagrams_.size() < kMaxCaptured) datagrams_.emplace_back(data, data + length);
  }
  uint32_t sequence() const { return sequence_; }
  const std::vector<std::vector<uint8_t>>& datagrams() const { return datagrams_; }

 private:
  uint32_t sequence_ = 0;
  std::vector<std::vector<uint8_t>> datagrams_;
};

// capture(family 4|6) → [sequence, datagrams]: the raw answer of one dump of every TCP socket
// in the network namespace with INET_DIAG_INFO, as the parser receives it.
Napi::Value Capture(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int family = FamilyArg(info, 0);
  CaptureSink sink;
  core::DumpRequest request;
  request.family = family == 4 ? AF_INET : AF_INET6;
  const char* step = "";
  int err = core::Dump(request, &sink, &step);
  if (err != 0) throw SnapshotError(env, err, step);
  Napi::Array datagrams = Napi::Array::New(env, sink.datagrams().size());
  for (size_t i = 0; i < sink.datagrams().size(); i++) {
    const std::vector<uint8_t>& d = sink.datagrams()[i];
    datagrams.Set(static_cast<uint32_t>(i), CopyOut(env, d.data(), d.size()));
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, sink.sequence()));
  out.Set(1u, datagrams);
  return out;
}

}  // namespace

Napi::Object InitSockets(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("snapshot", Napi::Function::New(env, Snapshot, "snapshot"));
  exports.Set("attribute", Napi::Function::New(env, Attribute, "attribute"));
  exports.Set("inodes", Napi::Function::New(env, Inodes, "inodes"));
  exports.Set("parse", Napi::Function::New(env, Parse, "parse"));
  exports.Set("capture", Napi::Function::New(env, Capture, "capture"));
  return exports;
}

}  // namespace sockctl
