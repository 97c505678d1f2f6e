// Loopback segment capture: packet(7) (AF_PACKET, PACKET_RX_RING with TPACKET_V2,
// PACKET_IGNORE_OUTGOING, PACKET_STATISTICS), socket(7) SO_ATTACH_FILTER with a classic BPF
// program (Documentation/networking/filter.rst), netdevice(7) for the index of `lo`.
#include "capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "endpoint.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace sockctl::core {
namespace {

// Where a conditional jump goes: the next instruction, or a label resolved once the program
// is complete (cBPF jumps are forward offsets of at most 255).
enum Label {
  kNext = -1,
  kReject = 0,
  kDrop,
  kAcceptSource,
  kDestination,
  kAccept,
  kIpv6,
  kPorts,
  kLabelCount
};

struct Insn {
  uint16_t code;
  int jt;
  int jf;
  uint32_t k;
};

class Program {
 public:
  void Stmt(uint16_t code, uint32_t k) { insns_.push_back({code, kNext, kNext, k}); }
  void Jump(uint16_t code, uint32_t k, int jt, int jf) { insns_.push_back({code, jt, jf, k}); }
  void Always(int label) { insns_.push_back({BPF_JMP | BPF_JA, label, kNext, 0}); }
  void Mark(int label) { at_[label] = static_cast<int>(insns_.size()); }

  // Resolves labels into offsets; false if one is out of cBPF's reach.
  bool Assemble(std::vector<sock_filter>* out) const {
    out->clear();
    for (size_t i = 0; i < insns_.size(); i++) {
      const Insn& insn = insns_[i];
      int jt = Offset(insn.jt, i);
      int jf = Offset(insn.jf, i);
      if (jt < 0 || jf < 0) return false;
      if (insn.code == (BPF_JMP | BPF_JA)) {
        out->push_back(BPF_STMT(insn.code, static_cast<uint32_t>(jt)));
        continue;
      }
      if (jt > 255 || jf > 255) return false;
      out->push_back(
          BPF_JUMP(insn.code, insn.k, static_cast<uint8_t>(jt), static_cast<uint8_t>(jf)));
    }
    return true;
  }

 private:
  int Offset(int label, size_t from) const {
    if (label == kNext) return 0;
    return at_[label] - static_cast<int>(from) - 1;
  }
  std::vector<Insn> insns_;
  int at_[kLabelCount] = {};
};

// The filter: TCP over IPv4 between 127.0.0.0/8 addresses or over IPv6 between ::1 and ::1,
// not a later fragment, with a source or destination port in `ports`; keeps the first
// kCaptureSnapLength bytes of those and nothing of anything else. A SOCK_DGRAM packet socket
// runs its filter on the packet from the network header on.
bool BuildFilter(const uint16_t* ports, int count, std::vector<sock_filter>* out) {
  Program p;
  p.Stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL);
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, kNext, kIpv6);
  p.Stmt(BPF_LD | BPF_B | BPF_ABS, 9);  // protocol
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, kNext, kReject);
  for (uint32_t offset : {12u, 16u}) {  // source, destination
    p.Stmt(BPF_LD | BPF_W | BPF_ABS, offset);
    p.Stmt(BPF_ALU | BPF_AND | BPF_K, 0xff000000);
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, 0x7f000000, kNext, kReject);
  }
  p.Stmt(BPF_LD | BPF_H | BPF_ABS, 6);  // flags + fragment offset
  p.Jump(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, kReject, kNext);
  p.Stmt(BPF_LDX | BPF_B | BPF_MSH, 0);  // X = IPv4 header length
  p.Always(kPorts);

  p.Mark(kIpv6);
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, kNext, kReject);
  p.Stmt(BPF_LD | BPF_B | BPF_ABS, 6);  // next header: loopback TCP carries no extension header
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, kNext, kReject);
  for (uint32_t offset : {8u, 24u}) {  // source, destination: each ::1
    for (uint32_t word = 0; word < 4; word++) {
      p.Stmt(BPF_LD | BPF_W | BPF_ABS, offset + 4 * word);
      p.Jump(BPF_JMP | BPF_JEQ | BPF_K, word == 3 ? 1 : 0, kNext, kReject);
    }
  }
  p.Stmt(BPF_LDX | BPF_W | BPF_IMM, 40);
  p.Always(kPorts);

  // What is not TCP between loopback addresses: dropped here, before the port lists, so the
  // header checks' jumps stay short whatever the number of ports.
  p.Mark(kReject);
  p.Stmt(BPF_RET | BPF_K, 0);

  // Each port list ends in its own accept, so no jump spans more than one list (cBPF's
  // conditional jumps reach 255 instructions ahead).
  p.Mark(kPorts);
  p.Stmt(BPF_LD | BPF_H | BPF_IND, 0);  // source port
  for (int i = 0; i < count; i++) p.Jump(BPF_JMP | BPF_JEQ | BPF_K, ports[i], kAcceptSource, kNext);
  p.Always(kDestination);
  p.Mark(kAcceptSource);
  p.Stmt(BPF_RET | BPF_K, kCaptureSnapLength);
  p.Mark(kDestination);
  p.Stmt(BPF_LD | BPF_H | BPF_IND, 2);  // destination port
  for (int i = 0; i < count; i++) p.Jump(BPF_JMP | BPF_JEQ | BPF_K, ports[i], kAccept, kNext);
  p.Mark(kDrop);
  p.Stmt(BPF_RET | BPF_K, 0);
  p.Mark(kAccept);
  p.Stmt(BPF_RET | BPF_K, kCaptureSnapLength);
  return p.Assemble(out);
}

bool ValidPorts(const uint16_t* ports, int count) {
  if (count < 0 || count > kMaxCapturePorts || (count > 0 && ports == nullptr)) return false;
  for (int i = 0; i < count; i++) {
    if (ports[i] == 0) return false;
  }
  return true;
}

void PutU32(uint8_t* at, uint32_t value) {
  at[0] = static_cast<uint8_t>(value);
  at[1] = static_cast<uint8_t>(value >> 8);
  at[2] = static_cast<uint8_t>(value >> 16);
  at[3] = static_cast<uint8_t>(value >> 24);
}

constexpr size_t kFrameAlign = 4;
constexpr int64_t kNanos = 1000000000;

int64_t Nanos(const timespec& t) { return static_cast<int64_t>(t.tv_sec) * kNanos + t.tv_nsec; }

// clock_gettime(2) through syscall(2): the libc wrapper is versioned GLIBC_2.17 on x86-64, above
// the glibc the linux-x64 prebuild promises (scripts/prebuilds.mjs). Three per clock sample.
timespec Now(clockid_t clock) {
  timespec t = {};
  syscall(SYS_clock_gettime, clock, &t);
  return t;
}

size_t Padded(size_t n) { return (n + kFrameAlign - 1) & ~(kFrameAlign - 1); }

}  // namespace

int CapturePortOf(int fd, uint16_t* port) {
  int type = 0;
  socklen_t length = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) return errno;
  if (type != SOCK_STREAM) return EPROTOTYPE;
  Endpoint local;
  int err = LocalEndpoint(fd, &local);
  if (err != 0) return err;
  if (local.port == 0) return EINVAL;
  *port = local.port;
  return 0;
}

int SetCapturePorts(int fd, const uint16_t* ports, int count) {
  if (!ValidPorts(ports, count)) return EINVAL;
  std::vector<sock_filter> code;
  if (!BuildFilter(ports, count, &code)) return EINVAL;
  sock_fprog program = {};
  program.len = static_cast<unsigned short>(code.size());
  program.filter = code.data();
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) == 0 ? 0 : errno;
}

int OpenCapture(const uint16_t* ports, int count, int* fd, CaptureRing* ring, const char** step) {
  *fd = -1;
  *ring = CaptureRing();
  if (!ValidPorts(ports, count)) {
    *step = "setsockopt";
    return EINVAL;
  }
  unsigned int lo = if_nametoindex("lo");
  if (lo == 0) {
    *step = "if_nametoindex";
    return errno;
  }
  // Protocol 0: the socket receives nothing until bind(), so no packet slips in unfiltered.
  int sock = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    *step = "socket";
    return errno;
  }
  auto fail = [&](int err, const char* at) {
    ReleaseRing(ring);
    close(sock);
    *step = at;
    return err;
  };
  int err = SetCapturePorts(sock, ports, count);
  if (err != 0) return fail(err, "setsockopt");

  int version = TPACKET_V2;
  if (setsockopt(sock, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0) {
    return fail(errno, "setsockopt");
  }
  // Frames: the TPACKET_V2 header, its sockaddr_ll, 16 bytes the kernel keeps free in front of
  // the network header of a SOCK_DGRAM frame, then the snap length; blocks are whole pages.
  uint32_t frame_size = TPACKET_ALIGN(TPACKET_ALIGN(TPACKET2_HDRLEN) + 16 + kCaptureSnapLength);
  long page = sysconf(_SC_PAGESIZE);
  uint32_t block_size = page > 0 ? static_cast<uint32_t>(page) : 4096;
  while (block_size < frame_size) block_size *= 2;
  uint32_t per_block = block_size / frame_size;
  uint32_t blocks = (kCaptureFrames + per_block - 1) / per_block;
  tpacket_req request = {};
  request.tp_block_size = block_size;
  request.tp_block_nr = blocks;
  request.tp_frame_size = frame_size;
  request.tp_frame_nr = blocks * per_block;
  if (setsockopt(sock, SOL_PACKET, PACKET_RX_RING, &request, sizeof(request)) != 0) {
    return fail(errno, "setsockopt");
  }
  size_t size = static_cast<size_t>(block_size) * blocks;
  void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, sock, 0);
  if (memory == MAP_FAILED) return fail(errno, "mmap");
  ring->memory = static_cast<uint8_t*>(memory);
  ring->size = size;
  ring->block_size = block_size;
  ring->frame_size = frame_size;
  ring->frames_per_block = per_block;
  ring->frame_count = request.tp_frame_nr;
  ring->cursor = 0;

  // Each loopback segment passes lo twice, leaving and arriving; keep only the arrival. Kernels
  // before 4.20 lack the option: ReadFrames skips PACKET_OUTGOING frames either way.
  int one = 1;
  setsockopt(sock, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));

  sockaddr_ll address = {};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = static_cast<int>(lo);
  if (bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return fail(errno, "bind");
  }
  *fd = sock;
  return 0;
}

ClockSample SampleClocks() {
  const int64_t before = Nanos(Now(CLOCK_MONOTONIC));
  const int64_t real = Nanos(Now(CLOCK_REALTIME));
  const int64_t after = Nanos(Now(CLOCK_MONOTONIC));
  return {real - after, after - before};
}

void ReadFrames(CaptureRing* ring, uint8_t* out, size_t size, size_t* used, size_t* frames) {
  *used = 0;
  *frames = 0;
  if (ring->memory == nullptr || ring->frame_count == 0 || ring->frames_per_block == 0) return;
  const size_t sll_offset = TPACKET_ALIGN(sizeof(tpacket2_hdr));
  // Bounded: one pass over the ring at most.
  for (uint32_t seen = 0; seen < ring->frame_count; seen++) {
    uint32_t block = ring->cursor / ring->frames_per_block;
    uint32_t slot = ring->cursor % ring->frames_per_block;
    uint8_t* frame = ring->memory + static_cast<size_t>(block) * ring->block_size +
                     static_cast<size_t>(slot) * ring->frame_size;
    auto* header = reinterpret_cast<tpacket2_hdr*>(frame);
    // Acquire: the frame's contents are read only after the kernel's status store.
    uint32_t status = __atomic_load_n(&header->tp_status, __ATOMIC_ACQUIRE);
    if ((status & TP_STATUS_USER) == 0) break;
    const auto* link = reinterpret_cast<const sockaddr_ll*>(frame + sll_offset);
    // The kernel wrote these; still, never copy past the frame.
    uint32_t net = header->tp_net;
    uint32_t captured = header->tp_snaplen;
    if (net > ring->frame_size) net = ring->frame_size;
    if (captured > ring->frame_size - net) captured = ring->frame_size - net;
    if (captured > kCaptureSnapLength) captured = kCaptureSnapLength;
    bool outgoing = link->sll_pkttype == PACKET_OUTGOING;
    if (!outgoing) {
      size_t record = kFrameHeaderSize + Padded(captured);
      if (record > size - *used) break;  // the caller reads the rest next time
      uint8_t* at = out + *used;
      PutU32(at, captured);
      PutU32(at + 4, header->tp_len);
      PutU32(at + 8, header->tp_sec);
      PutU32(at + 12, header->tp_nsec);
      std::memcpy(at + kFrameHeaderSize, frame + net, captured);
      std::memset(at + kFrameHeaderSize + captured, 0, Padded(captured) - captured);
      *used += record;
      ++*frames;
    }
    __atomic_store_n(&header->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    ring->cursor = (ring->cursor + 1) % ring->frame_count;
  }
}

int CaptureStats(int fd, uint32_t* packets, uint32_t* drops) {
  tpacket_stats stats = {};
  socklen_t length = sizeof(stats);
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &stats, &length) != 0) return errno;
  *packets = stats.tp_packets;
  *drops = stats.tp_drops;
  return 0;
}

void ReleaseRing(CaptureRing* ring) {
  if (ring->memory != nullptr) munmap(ring->memory, ring->size);
  *ring = CaptureRing();
}

int ProbeCapture(const char** step) {
  int sock = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    *step = "socket";
    return errno;
  }
  close(sock);
  return 0;
}

}  // namespace sockctl::core
