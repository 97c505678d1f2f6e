// Binding for classic BPF socket filters (core/filter): attach a program the TypeScript side
// assembled (src/raw/filter.ts), detach, and the privilege probe. socket(7) SO_ATTACH_FILTER /
// SO_DETACH_FILTER. Kernel failures throw Node-shaped errors with `option` set; the probe
// returns its errno as data because a refusal is its answer.
#include "filter.h"

#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "args.h"
#include "core/filter.h"
#include "errors.h"

namespace sockctl {
namespace {

// attach(fd, program): `program` holds struct sock_filter records (8 bytes each, host byte
// order), 1 to BPF_MAXINSNS of them. The bytes are copied before the syscall, so a buffer the
// caller changes or detaches later cannot race the kernel's own copy.
Napi::Value Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  Bytes bytes = BytesArg(info, 1, "program");
  if (bytes.length == 0 || bytes.length % sizeof(sock_filter) != 0 ||
      bytes.length / sizeof(sock_filter) > BPF_MAXINSNS) {
    throw ArgValueError(env, "program", "1 to 4096 struct sock_filter records of 8 bytes");
  }
  std::vector<sock_filter> program(bytes.length / sizeof(sock_filter));
  std::memcpy(program.data(), bytes.data, bytes.length);
  int err = core::AttachFilter(fd, program.data(), program.size());
  if (err != 0) throw OptionError(env, err, "setsockopt", "SO_ATTACH_FILTER");
  return env.Undefined();
}

Napi::Value Detach(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  int err = core::DetachFilter(fd);
  if (err != 0) throw OptionError(info.Env(), err, "setsockopt", "SO_DETACH_FILTER");
  return info.Env().Undefined();
}

// probe(family: 4 | 6) → [errno, syscall]; errno 0 means a filter may be attached.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  int family = FamilyArg(info, 0);
  const char* step = "";
  int err = core::ProbeAttach(family == 4 ? AF_INET : AF_INET6, &step);
  return ErrnoResult(info.Env(), err, step);
}

}  // namespace

Napi::Object InitFilter(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("attach", Napi::Function::New(env, Attach, "attach"));
  exports.Set("detach", Napi::Function::New(env, Detach, "detach"));
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  return exports;
}

}  // namespace sockctl
