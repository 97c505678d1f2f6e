// Forged TCP segments to the library's own loopback sockets: raw(7) and ipv6(7) IPPROTO_RAW
// sockets (the IP header is ours), the TCP header of RFC 9293 §3.1 with the checksum of its
// pseudo-header. Plain core: plain structs in, 0 or an errno out; no N-API types.
#ifndef SOCKCTL_CORE_FORGE_H_
#define SOCKCTL_CORE_FORGE_H_

#include <cstddef>
#include <cstdint>

#include "endpoint.h"

namespace sockctl::core {

// Largest payload a forged segment may carry: one segment's worth, far below lo's MTU.
constexpr size_t kMaxForgedPayload = 1024;

struct ForgedSegment {
  Endpoint source;
  Endpoint destination;
  uint32_t seq;
  uint32_t ack;
  uint8_t flags;    // the TCP flags byte: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10...
  uint16_t window;  // as written in the header (unscaled)
  const uint8_t* payload;
  size_t payload_length;
};

// Builds the IP and TCP headers and sends the segment through a raw socket opened for this one
// send (close-on-exec, closed before returning). Refuses, before any syscall: EAFNOSUPPORT when
// the two ends' families differ, EADDRNOTAVAIL when either address is not loopback, EMSGSIZE
// past kMaxForgedPayload. Otherwise the kernel's answer: EPERM without CAP_NET_RAW over the
// network namespace. *sent is the IP packet's length.
int SendForged(const ForgedSegment& segment, size_t* sent, const char** step);

// Whether this process may open the raw socket SendForged uses. EPERM without CAP_NET_RAW.
int ProbeForge(const char** step);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_FORGE_H_
