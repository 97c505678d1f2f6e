// Binding for forged segments (core/forge). The addresses come from sockets the library owns,
// never from the caller: a forged segment goes to an owned socket's own address and port, from
// its peer's (or another owned socket's) address and port, and only over loopback.
#include "forge.h"

#include <sys/socket.h>

#include "args.h"
#include "core/forge.h"
#include "errors.h"
#include "instance.h"

namespace sockctl {
namespace {

uint32_t Uint32Arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  double value = 0;
  if (index >= info.Length() || napi_get_value_double(env, info[index], &value) != napi_ok) {
    throw ArgTypeError(env, name, "of type number");
  }
  if (!(value >= 0 && value <= 4294967295.0) ||
      static_cast<double>(static_cast<uint32_t>(value)) != value) {
    throw ArgRangeError(env, name, "an integer >= 0 and <= 4294967295");
  }
  return static_cast<uint32_t>(value);
}

// send(fd, fromFd, flags, seq, ack, window, payload) → [errno, step]; errno 0 when sent.
// The segment goes to fd's local address and port. It comes from fd's peer when fromFd is -1,
// else from the local address and port of fromFd (another owned socket, e.g. one bound to a
// port nobody listens on). Both must be loopback addresses of the same family.
Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = OwnedFdArg(info, 0);
  int from_fd = IntArg(info, 1, "fromFd", -1, INT32_MAX);
  if (from_fd >= 0) from_fd = OwnedFdArg(info, 1);
  int flags = IntArg(info, 2, "flags", 0, 255);
  uint32_t seq = Uint32Arg(info, 3, "seq");
  uint32_t ack = Uint32Arg(info, 4, "ack");
  int window = IntArg(info, 5, "window", 0, 65535);
  Bytes payload = BytesArg(info, 6, "payload");
  if (payload.length > core::kMaxForgedPayload) {
    throw ArgRangeError(env, "payload.byteLength", "<= 1024");
  }

  core::ForgedSegment segment = {};
  int err = core::LocalEndpoint(fd, &segment.destination);
  if (err != 0) return ErrnoResult(env, err, "getsockname");
  err = from_fd >= 0 ? core::LocalEndpoint(from_fd, &segment.source)
                     : core::PeerEndpoint(fd, &segment.source);
  if (err != 0) return ErrnoResult(env, err, from_fd >= 0 ? "getsockname" : "getpeername");
  if (segment.source.family != segment.destination.family) {
    throw ArgValueError(env, "fromFd", "a socket of the same address family as fd");
  }
  if (!core::IsLoopback(segment.source) || !core::IsLoopback(segment.destination)) {
    throw ArgValueError(env, "fd", "a socket whose both ends are loopback addresses");
  }
  segment.seq = seq;
  segment.ack = ack;
  segment.flags = static_cast<uint8_t>(flags);
  segment.window = static_cast<uint16_t>(window);
  segment.payload = payload.data;
  segment.payload_length = payload.length;
  size_t sent = 0;
  const char* step = "";
  err = core::SendForged(segment, &sent, &step);
  return ErrnoResult(env, err, step);
}

// probe() → [errno, step]; errno 0 means the raw socket could be opened.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  const char* step = "";
  int err = core::ProbeForge(&step);
  return ErrnoResult(info.Env(), err, step);
}

}  // namespace

Napi::Object InitForge(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("MAX_PAYLOAD", Napi::Number::New(env, core::kMaxForgedPayload));
  exports.Set("constants", constants);
  return exports;
}

}  // namespace sockctl
