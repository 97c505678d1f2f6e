// Capture of TCP segments on the loopback interface: packet(7) AF_PACKET SOCK_DGRAM bound to
// `lo`, a classic BPF filter (filter(2), SO_ATTACH_FILTER) that keeps only TCP between loopback
// addresses on the given ports, and a PACKET_RX_RING (TPACKET_V2) the kernel copies the headers
// into. Plain core: fds and plain structs in, 0 or an errno out; no N-API types.
#ifndef SOCKCTL_CORE_CAPTURE_H_
#define SOCKCTL_CORE_CAPTURE_H_

#include <cstddef>
#include <cstdint>

namespace sockctl::core {

// Most ports one capture filters on: the cBPF program grows by two instructions per port, and a
// conditional jump reaches at most 255 instructions ahead, past one list of ports.
constexpr int kMaxCapturePorts = 200;

// Bytes of each packet the filter keeps: the longest IPv4 header (60) plus the longest TCP
// header (60); an IPv6 header is 40. Payload is never copied: its length comes from the IP header.
constexpr uint32_t kCaptureSnapLength = 120;

// Frames in the receive ring: a segment waits here until it is read; when the ring is full the
// kernel drops the copy (counted, see CaptureStats) and the connection itself is untouched.
constexpr uint32_t kCaptureFrames = 4096;

// The mapping of one capture socket's receive ring. Owned by whoever opened it: Release()
// unmaps it (closing the fd does not).
struct CaptureRing {
  uint8_t* memory = nullptr;
  size_t size = 0;
  uint32_t block_size = 0;
  uint32_t frame_size = 0;
  // Frames do not span blocks: frame i sits in block i / frames_per_block.
  uint32_t frames_per_block = 0;
  uint32_t frame_count = 0;
  // The frame to look at next.
  uint32_t cursor = 0;
};

// Each frame ReadFrames writes: a 16-byte header, little-endian, then `captured` bytes starting
// at the IP header, padded with zeros to a multiple of 4.
//   u32 captured   bytes that follow (<= kCaptureSnapLength)
//   u32 length     the packet's length on the wire (IP header included)
//   u32 seconds      when the kernel received it: the ring's CLOCK_REALTIME stamp, as it is
//   u32 nanoseconds  (SampleClocks maps it onto CLOCK_MONOTONIC)
constexpr size_t kFrameHeaderSize = 16;

// One reading of how far CLOCK_REALTIME (the ring's clock) is ahead of CLOCK_MONOTONIC (the
// clock of process.hrtime and performance.now): CLOCK_MONOTONIC read before and after one
// CLOCK_REALTIME read. offset_ns is the realtime read minus the second monotonic read, so a
// stamp mapped with it is never placed before it happened (a segment never before the syscall
// that sent it), only late, by at most width_ns, the distance between the monotonic reads. A
// thread preempted between the reads gives a wide sample (tens of ms seen under emulation), so
// the caller takes the narrowest of a few.
struct ClockSample {
  int64_t offset_ns;
  int64_t width_ns;
};
ClockSample SampleClocks();

// The port a capture may filter on for socket fd: its local TCP port. EPROTOTYPE for a socket
// that is not SOCK_STREAM, EINVAL for one not bound yet (port 0), else the errno of
// getsockopt(SO_TYPE) or getsockname (ENOTSOCK, EBADF).
// Ports come from sockets this process holds, never from a number: a capture sees the traffic of
// the process's own sockets and nothing else.
int CapturePortOf(int fd, uint16_t* port);

// Opens the capture: socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), the port
// filter, the ring, PACKET_IGNORE_OUTGOING (each loopback segment passes lo twice), then bind to
// `lo` for every protocol. Nothing is received before the filter is in place: a packet socket
// with protocol 0 gets no packets until bind. ports: 0..kMaxCapturePorts values in 1..65535
// (none: the filter passes nothing).
// *step names the call that failed.
int OpenCapture(const uint16_t* ports, int count, int* fd, CaptureRing* ring, const char** step);

// Replaces the filter (the kernel swaps it atomically): from now on only these ports (none: the
// filter passes nothing).
int SetCapturePorts(int fd, const uint16_t* ports, int count);

// Copies the frames the kernel has filled, oldest first, into out (see kFrameHeaderSize) and
// hands their slots back to the kernel. Stops when no frame is ready or the next would not fit.
// Frames the kernel flags as sent by this host (PACKET_OUTGOING) are skipped.
void ReadFrames(CaptureRing* ring, uint8_t* out, size_t size, size_t* used, size_t* frames);

// PACKET_STATISTICS: packets the filter accepted and copies dropped (ring full) since the last
// call; the kernel resets both on each read.
int CaptureStats(int fd, uint32_t* packets, uint32_t* drops);

// Unmaps the ring. Safe on a ring never mapped or already released.
void ReleaseRing(CaptureRing* ring);

// Whether this process may capture: opens a packet socket and closes it. EPERM without
// CAP_NET_RAW over the current network namespace. *step names the call that failed.
int ProbeCapture(const char** step);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_CAPTURE_H_
