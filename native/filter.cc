// Binding for the drop-all socket filter (core/filter): attach, detach and the privilege probe.
// socket(7) SO_ATTACH_FILTER / SO_DETACH_FILTER. Kernel failures throw Node-shaped errors with
// `option` set; the probe returns its errno as data because a refusal is its answer.
#include "filter.h"

#include <sys/socket.h>

#include "args.h"
#include "core/filter.h"
#include "errors.h"

namespace sockctl {
namespace {

void ThrowIf(Napi::Env env, int err, const char* option) {
  if (err == 0) return;
  Napi::Error error = SystemError(env, err, "setsockopt");
  error.Value().Set("option", Napi::String::New(env, option));
  throw error;
}

Napi::Value AttachDropAll(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  ThrowIf(info.Env(), core::AttachDropAll(fd), "SO_ATTACH_FILTER");
  return info.Env().Undefined();
}

Napi::Value DetachFilter(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  ThrowIf(info.Env(), core::DetachFilter(fd), "SO_DETACH_FILTER");
  return info.Env().Undefined();
}

// probeDropAll(family: 4 | 6) → [errno, syscall]; errno 0 means the attach worked.
Napi::Value ProbeDropAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int version = IntArg(info, 0, "family", 4, 6);
  if (version != 4 && version != 6) throw ArgRangeError(env, "family", "4 or 6");
  const char* syscall = "";
  int err = core::ProbeDropAll(version == 4 ? AF_INET : AF_INET6, &syscall);
  return ErrnoResult(env, err, syscall);
}

}  // namespace

Napi::Object InitFilter(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("attachDropAll", Napi::Function::New(env, AttachDropAll, "attachDropAll"));
  exports.Set("detachFilter", Napi::Function::New(env, DetachFilter, "detachFilter"));
  exports.Set("probeDropAll", Napi::Function::New(env, ProbeDropAll, "probeDropAll"));
  return exports;
}

}  // namespace sockctl
