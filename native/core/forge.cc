// Forged segments: raw(7) / ipv6(7) with IPPROTO_RAW (the header is included: ip(7)
// IP_HDRINCL semantics), the TCP header and checksum of RFC 9293 §3.1, getsockname(2),
// getpeername(2).
#include "forge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace sockctl::core {
namespace {

constexpr size_t kTcpHeader = 20;
constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv6Header = 40;
constexpr uint8_t kHopLimit = 64;

// The 16-bit ones' complement sum of RFC 1071, carried over several buffers.
class Checksum {
 public:
  void Add(const uint8_t* data, size_t length) {
    for (size_t i = 0; i < length; i++) {
      // Bytes at even offsets of the whole stream are the high half of a 16-bit word.
      sum_ += (odd_ ? data[i] : static_cast<uint32_t>(data[i]) << 8);
      odd_ = !odd_;
    }
  }
  void Add16(uint16_t value) {
    uint8_t bytes[2] = {static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
    Add(bytes, 2);
  }
  void Add32(uint32_t value) {
    Add16(static_cast<uint16_t>(value >> 16));
    Add16(static_cast<uint16_t>(value));
  }
  uint16_t Fold() const {
    uint64_t sum = sum_;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum & 0xffff);
  }

 private:
  uint64_t sum_ = 0;
  bool odd_ = false;
};

void Put16(uint8_t* at, uint16_t value) {
  at[0] = static_cast<uint8_t>(value >> 8);
  at[1] = static_cast<uint8_t>(value);
}

void Put32(uint8_t* at, uint32_t value) {
  Put16(at, static_cast<uint16_t>(value >> 16));
  Put16(at + 2, static_cast<uint16_t>(value));
}

}  // namespace

int SendForged(const ForgedSegment& segment, size_t* sent, const char** step) {
  *sent = 0;
  *step = "";
  const Endpoint& from = segment.source;
  const Endpoint& to = segment.destination;
  if (from.family != to.family || (from.family != AF_INET && from.family != AF_INET6)) {
    return EAFNOSUPPORT;
  }
  // The one rule that keeps forging harmless: nothing leaves this host's loopback.
  if (!IsLoopback(from) || !IsLoopback(to)) return EADDRNOTAVAIL;
  if (segment.payload_length > kMaxForgedPayload) return EMSGSIZE;
  if (segment.payload_length > 0 && segment.payload == nullptr) return EINVAL;

  bool v6 = to.family == AF_INET6;
  size_t ip_header = v6 ? kIpv6Header : kIpv4Header;
  size_t address_size = v6 ? 16 : 4;
  size_t tcp_length = kTcpHeader + segment.payload_length;
  size_t total = ip_header + tcp_length;
  uint8_t packet[kIpv6Header + kTcpHeader + kMaxForgedPayload] = {};

  uint8_t* ip = packet;
  if (v6) {
    ip[0] = 0x60;
    Put16(ip + 4, static_cast<uint16_t>(tcp_length));
    ip[6] = IPPROTO_TCP;
    ip[7] = kHopLimit;
    std::memcpy(ip + 8, from.address, 16);
    std::memcpy(ip + 24, to.address, 16);
  } else {
    ip[0] = 0x45;
    Put16(ip + 2, static_cast<uint16_t>(total));
    Put16(ip + 6, 0x4000);  // don't fragment; the id (0) and the checksum are the kernel's
    ip[8] = kHopLimit;
    ip[9] = IPPROTO_TCP;
    std::memcpy(ip + 12, from.address, 4);
    std::memcpy(ip + 16, to.address, 4);
  }

  uint8_t* tcp = packet + ip_header;
  Put16(tcp, from.port);
  Put16(tcp + 2, to.port);
  Put32(tcp + 4, segment.seq);
  Put32(tcp + 8, segment.ack);
  tcp[12] = static_cast<uint8_t>((kTcpHeader / 4) << 4);
  tcp[13] = segment.flags;
  Put16(tcp + 14, segment.window);
  if (segment.payload_length > 0) {
    std::memcpy(tcp + kTcpHeader, segment.payload, segment.payload_length);
  }
  Checksum sum;
  sum.Add(from.address, address_size);
  sum.Add(to.address, address_size);
  if (v6) {
    sum.Add32(static_cast<uint32_t>(tcp_length));
    sum.Add32(IPPROTO_TCP);
  } else {
    sum.Add16(IPPROTO_TCP);
    sum.Add16(static_cast<uint16_t>(tcp_length));
  }
  sum.Add(tcp, tcp_length);
  Put16(tcp + 16, sum.Fold());

  sockaddr_storage storage = {};
  socklen_t length = 0;
  if (v6) {
    auto& address = reinterpret_cast<sockaddr_in6&>(storage);
    address.sin6_family = AF_INET6;
    std::memcpy(&address.sin6_addr, to.address, 16);
    length = sizeof(address);
  } else {
    auto& address = reinterpret_cast<sockaddr_in&>(storage);
    address.sin_family = AF_INET;
    std::memcpy(&address.sin_addr, to.address, 4);
    length = sizeof(address);
  }
  int sock = socket(to.family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (sock < 0) {
    *step = "socket";
    return errno;
  }
  ssize_t n = sendto(sock, packet, total, 0, reinterpret_cast<sockaddr*>(&storage), length);
  int err = n < 0 ? errno : 0;
  close(sock);
  if (err != 0) {
    *step = "sendto";
    return err;
  }
  *sent = static_cast<size_t>(n);
  return 0;
}

int ProbeForge(const char** step) {
  int sock = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (sock < 0) {
    *step = "socket";
    return errno;
  }
  close(sock);
  return 0;
}

}  // namespace sockctl::core
