// Binding for loopback segment capture (core/capture): packet(7) AF_PACKET with a port filter
// and a receive ring. The capture socket is an owned fd like the raw TCP sockets: poll.wait
// watches it from libuv's loop and rawIo.close closes it (and unmaps its ring).
#include "capture.h"

#include <arpa/inet.h>

#include <climits>
#include <vector>

#include "args.h"
#include "core/capture.h"
#include "core/endpoint.h"
#include "errors.h"
#include "instance.h"

namespace sockctl {
namespace {

// Adds the local ports of fds (an array of 1..kMaxCapturePorts fds of bound TCP sockets this
// process holds: its own or a net.Socket's, of which only the local port is read) to *state, one
// holder each. Past kMaxCapturePorts distinct ports: RangeError, and *state is unchanged.
void AddPortsOf(const Napi::CallbackInfo& info, size_t index, CaptureState* state,
                std::vector<uint16_t>* added) {
  Napi::Env env = info.Env();
  std::vector<int32_t> fds =
      IntegerArrayArg(info, index, "fds", 1, core::kMaxCapturePorts, 0, INT32_MAX);
  CaptureState next = *state;
  for (int32_t fd : fds) {
    uint16_t port = 0;
    // Not a socket, not TCP, not bound: all the caller's mistake, not the kernel's answer.
    if (core::CapturePortOf(fd, &port) != 0) {
      throw ArgValueError(env, "fds", "an array of fds of bound TCP sockets");
    }
    int at = 0;
    while (at < next.port_count && next.ports[at] != port) at++;
    if (at == next.port_count) {
      if (next.port_count == core::kMaxCapturePorts) {
        throw ArgRangeError(env, "fds", "sockets on at most 200 distinct ports per capture");
      }
      next.ports[next.port_count++] = port;
    }
    next.holders[at]++;
    added->push_back(port);
  }
  *state = next;
}

// Takes one holder off each port of `ports` (an array of port numbers the capture holds); a port
// without holders leaves the filter. Removing can only narrow what is captured, so plain numbers
// will do: the sockets may be closed by now.
void RemovePorts(const Napi::CallbackInfo& info, size_t index, CaptureState* state) {
  std::vector<int32_t> ports =
      IntegerArrayArg(info, index, "ports", 0, core::kMaxCapturePorts, 1, 65535);
  CaptureState next = *state;
  for (int32_t port : ports) {
    int at = 0;
    while (at < next.port_count && next.ports[at] != port) at++;
    if (at == next.port_count) throw ArgValueError(info.Env(), "ports", "ports this capture holds");
    if (--next.holders[at] > 0) continue;
    next.port_count--;
    next.ports[at] = next.ports[next.port_count];
    next.holders[at] = next.holders[next.port_count];
  }
  *state = next;
}

// A capture fd: owned, and opened by open() below.
CaptureState& CaptureArg(const Napi::CallbackInfo& info, size_t index) {
  int fd = OwnedFdArg(info, index);
  Instance& instance = GetInstance(info.Env());
  auto found = instance.captures.find(fd);
  if (found == instance.captures.end()) {
    throw ArgValueError(info.Env(), "fd", "a capture socket opened by sockctl and not yet closed");
  }
  return found->second;
}

// open() → fd of a capture socket whose filter passes nothing yet (add() gives it ports). Throws a
// SystemError (syscall: the step that failed, option 'AF_PACKET') when the kernel refuses.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CaptureState state;
  int fd = -1;
  const char* step = "";
  int err = core::OpenCapture(state.ports, state.port_count, &fd, &state.ring, &step);
  if (err != 0) throw OptionError(env, err, step, "AF_PACKET");
  Instance& instance = GetInstance(env);
  instance.owned_fds.insert(fd);
  instance.captures[fd] = state;
  return Napi::Number::New(env, fd);
}

// Attaches the filter for next's ports to fd (the kernel swaps it atomically); *state takes
// next's ports only once the kernel has them.
void Refilter(Napi::Env env, int fd, CaptureState* state, const CaptureState& next) {
  int err = core::SetCapturePorts(fd, next.ports, next.port_count);
  if (err != 0) throw OptionError(env, err, "setsockopt", "SO_ATTACH_FILTER");
  *state = next;
}

// add(fd, fds) → the local ports of fds, in order: the filter passes them too, one more holder
// each.
Napi::Value Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CaptureState& state = CaptureArg(info, 0);
  CaptureState next = state;
  std::vector<uint16_t> added;
  AddPortsOf(info, 1, &next, &added);
  Refilter(env, FdArg(info, 0), &state, next);
  Napi::Array out = Napi::Array::New(env, added.size());
  for (size_t i = 0; i < added.size(); i++)
    out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, added[i]));
  return out;
}

// remove(fd, ports): one holder less on each port; ports left without one leave the filter.
Napi::Value Remove(const Napi::CallbackInfo& info) {
  CaptureState& state = CaptureArg(info, 0);
  CaptureState next = state;
  RemovePorts(info, 1, &next);
  Refilter(info.Env(), FdArg(info, 0), &state, next);
  return info.Env().Undefined();
}

// ports(fd) → the ports the filter passes now.
Napi::Value Ports(const Napi::CallbackInfo& info) {
  CaptureState& state = CaptureArg(info, 0);
  Napi::Array out = Napi::Array::New(info.Env(), state.port_count);
  for (int i = 0; i < state.port_count; i++)
    out.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), state.ports[i]));
  return out;
}

// read(fd, buffer) → bytes written into buffer: frames as core::ReadFrames lays them out.
Napi::Value Read(const Napi::CallbackInfo& info) {
  CaptureState& state = CaptureArg(info, 0);
  Bytes bytes = BytesArg(info, 1, "buffer");
  size_t used = 0;
  size_t frames = 0;
  core::ReadFrames(&state.ring, bytes.data, bytes.length, &used, &frames);
  return Napi::Number::New(info.Env(), static_cast<double>(used));
}

// clockSample() → [seconds, nanoseconds, width]: core::SampleClocks, its offset split so that
// doubles hold it exactly (seconds floored, nanoseconds 0..999999999), the width in ns.
Napi::Value ClockSample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr int64_t kNanos = 1000000000;
  core::ClockSample sample = core::SampleClocks();
  int64_t seconds = sample.offset_ns / kNanos;
  int64_t nanos = sample.offset_ns % kNanos;
  if (nanos < 0) {
    nanos += kNanos;
    seconds -= 1;
  }
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(seconds)));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(nanos)));
  out.Set(2u, Napi::Number::New(env, static_cast<double>(sample.width_ns)));
  return out;
}

// stats(fd) → [packets, drops] since the previous call.
Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CaptureArg(info, 0);
  int fd = FdArg(info, 0);
  uint32_t packets = 0;
  uint32_t drops = 0;
  int err = core::CaptureStats(fd, &packets, &drops);
  if (err != 0) throw OptionError(env, err, "getsockopt", "PACKET_STATISTICS");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, packets));
  out.Set(1u, Napi::Number::New(env, drops));
  return out;
}

// localEnd(fd) → [address, port]: getsockname(2) of a socket this process holds (its own or a
// net.Socket's), whatever Node has cached: a connecting net.Socket's address() is still empty.
// A v4-mapped address comes back as the IPv4 one (core::LocalEndpoint), as the packets carry it.
Napi::Value LocalEnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  core::Endpoint local = {};
  int err = core::LocalEndpoint(fd, &local);
  if (err != 0) throw SystemError(env, err, "getsockname");
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(local.family, local.address, text, sizeof(text));
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::String::New(env, text));
  out.Set(1u, Napi::Number::New(env, local.port));
  return out;
}

// probe() → [errno, step]; errno 0 means a packet socket could be opened.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  const char* step = "";
  int err = core::ProbeCapture(&step);
  return ErrnoResult(info.Env(), err, step);
}

}  // namespace

Napi::Object InitCapture(Napi::Env env) {
  GetInstance(env);
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("add", Napi::Function::New(env, Add, "add"));
  exports.Set("remove", Napi::Function::New(env, Remove, "remove"));
  exports.Set("ports", Napi::Function::New(env, Ports, "ports"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("clockSample", Napi::Function::New(env, ClockSample, "clockSample"));
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  exports.Set("localEnd", Napi::Function::New(env, LocalEnd, "localEnd"));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("FRAME_HEADER", Napi::Number::New(env, core::kFrameHeaderSize));
  constants.Set("SNAP_LENGTH", Napi::Number::New(env, core::kCaptureSnapLength));
  constants.Set("MAX_PORTS", Napi::Number::New(env, core::kMaxCapturePorts));
  constants.Set("FRAMES", Napi::Number::New(env, core::kCaptureFrames));
  exports.Set("constants", constants);
  return exports;
}

}  // namespace sockctl
