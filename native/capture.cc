// Binding for loopback segment capture (core/capture): packet(7) AF_PACKET with a port filter
// and a receive ring. The capture socket is an owned fd like the raw TCP sockets: poll.wait
// watches it from libuv's loop and rawIo.close closes it (and unmaps its ring).
#include "capture.h"

#include <climits>

#include "args.h"
#include "core/capture.h"
#include "errors.h"
#include "instance.h"

namespace sockctl {
namespace {

struct Ports {
  uint16_t values[core::kMaxCapturePorts];
  int count;
};

// An array of 1..kMaxCapturePorts fds of bound TCP sockets this process holds (its own or a
// net.Socket's: only their local port is read); the capture filters on their ports.
Ports PortsOfSockets(const Napi::CallbackInfo& info, size_t index) {
  Napi::Env env = info.Env();
  if (index >= info.Length() || !info[index].IsArray()) {
    throw ArgTypeError(env, "fds", "an instance of Array");
  }
  Napi::Array array = info[index].As<Napi::Array>();
  uint32_t length = array.Length();
  if (length < 1 || length > static_cast<uint32_t>(core::kMaxCapturePorts)) {
    throw ArgRangeError(env, "fds.length", "an integer >= 1 and <= 16");
  }
  Ports ports = {};
  for (uint32_t i = 0; i < length; i++) {
    double fd = 0;
    if (napi_get_value_double(env, array.Get(i), &fd) != napi_ok) {
      throw ArgTypeError(env, "fds", "an array of numbers");
    }
    if (!IsIntegerIn(fd, 0, INT32_MAX)) throw ArgRangeError(env, "fds", "integers >= 0 and <= 2147483647");
    uint16_t port = 0;
    // Not a socket, not TCP, not bound: all the caller's mistake, not the kernel's answer.
    if (core::CapturePortOf(static_cast<int>(fd), &port) != 0) {
      throw ArgValueError(env, "fds", "an array of fds of bound TCP sockets");
    }
    bool seen = false;
    for (int j = 0; j < ports.count; j++) seen = seen || ports.values[j] == port;
    if (!seen) ports.values[ports.count++] = port;
  }
  return ports;
}

// A capture fd: owned, and opened by open() below (it has a ring).
core::CaptureRing& RingArg(const Napi::CallbackInfo& info, size_t index) {
  int fd = OwnedFdArg(info, index);
  Instance& instance = GetInstance(info.Env());
  auto found = instance.rings.find(fd);
  if (found == instance.rings.end()) {
    throw ArgValueError(info.Env(), "fd", "a capture socket opened by sockctl and not yet closed");
  }
  return found->second;
}

Napi::Error CaptureError(Napi::Env env, int err, const char* syscall) {
  Napi::Error error = SystemError(env, err, syscall);
  error.Value().Set("option", Napi::String::New(env, "AF_PACKET"));
  return error;
}

// open(fds) → fd of the capture socket, filtering on the local ports of fds. Throws a SystemError (syscall = the failing step) when the kernel refuses.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Ports ports = PortsOfSockets(info, 0);
  int fd = -1;
  core::CaptureRing ring;
  const char* step = "";
  int err = core::OpenCapture(ports.values, ports.count, &fd, &ring, &step);
  if (err != 0) throw CaptureError(env, err, step);
  Instance& instance = GetInstance(env);
  instance.owned_fds.insert(fd);
  instance.rings[fd] = ring;
  return Napi::Number::New(env, fd);
}

// filter(fd, fds): from now on the local ports of fds (the kernel swaps the filter atomically).
Napi::Value SetPorts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingArg(info, 0);
  int fd = FdArg(info, 0);
  Ports ports = PortsOfSockets(info, 1);
  int err = core::SetCapturePorts(fd, ports.values, ports.count);
  if (err != 0) {
    Napi::Error error = SystemError(env, err, "setsockopt");
    error.Value().Set("option", Napi::String::New(env, "SO_ATTACH_FILTER"));
    throw error;
  }
  return env.Undefined();
}

// read(fd, buffer) → bytes written into buffer: frames as core::ReadFrames lays them out.
Napi::Value Read(const Napi::CallbackInfo& info) {
  core::CaptureRing& ring = RingArg(info, 0);
  Bytes bytes = BytesArg(info, 1, "buffer");
  size_t used = 0;
  size_t frames = 0;
  core::ReadFrames(&ring, bytes.data, bytes.length, &used, &frames);
  return Napi::Number::New(info.Env(), static_cast<double>(used));
}

// stats(fd) → [packets, drops] since the previous call.
Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingArg(info, 0);
  int fd = FdArg(info, 0);
  uint32_t packets = 0;
  uint32_t drops = 0;
  int err = core::CaptureStats(fd, &packets, &drops);
  if (err != 0) {
    Napi::Error error = SystemError(env, err, "getsockopt");
    error.Value().Set("option", Napi::String::New(env, "PACKET_STATISTICS"));
    throw error;
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, packets));
  out.Set(1u, Napi::Number::New(env, drops));
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
  exports.Set("filter", Napi::Function::New(env, SetPorts, "filter"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("FRAME_HEADER", Napi::Number::New(env, core::kFrameHeaderSize));
  constants.Set("SNAP_LENGTH", Napi::Number::New(env, core::kCaptureSnapLength));
  constants.Set("MAX_PORTS", Napi::Number::New(env, core::kMaxCapturePorts));
  constants.Set("FRAMES", Napi::Number::New(env, core::kCaptureFrames));
  exports.Set("constants", constants);
  return exports;
}

}  // namespace sockctl
