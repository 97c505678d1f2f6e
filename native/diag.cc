// Binding for kernel-side socket destruction (core/diag): SOCK_DESTROY by 4-tuple and SO_COOKIE,
// sock_diag(7); SO_COOKIE itself, socket(7). The probe returns its errno as data.
#include "diag.h"

#include <cstring>

#include "args.h"
#include "core/diag.h"
#include "errors.h"

namespace sockctl {
namespace {

Napi::Error DiagError(Napi::Env env, int err, const char* step) {
  Napi::Error error = SystemError(env, err, step);
  // The kernel's own answer: say which netlink request it answered, as queues() names its ioctl.
  if (std::strcmp(step, "sock_diag") == 0) {
    error.Value().Set("request", Napi::String::New(env, "SOCK_DESTROY"));
  }
  return error;
}

Napi::Value Destroy(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  const char* step = "";
  int err = core::DestroySocket(fd, &step);
  if (err != 0) throw DiagError(info.Env(), err, step);
  return info.Env().Undefined();
}

Napi::Value Cookie(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  uint64_t cookie = 0;
  int err = core::GetCookie(fd, &cookie);
  if (err != 0) {
    Napi::Error error = SystemError(info.Env(), err, "getsockopt");
    error.Value().Set("option", Napi::String::New(info.Env(), "SO_COOKIE"));
    throw error;
  }
  return Napi::BigInt::New(info.Env(), cookie);
}

// probeDestroy() → [errno, step]; errno 0 means a throwaway socket was destroyed.
Napi::Value ProbeDestroy(const Napi::CallbackInfo& info) {
  const char* step = "";
  int err = core::ProbeDestroy(&step);
  return ErrnoResult(info.Env(), err, step);
}

}  // namespace

Napi::Object InitDiag(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("destroy", Napi::Function::New(env, Destroy, "destroy"));
  exports.Set("cookie", Napi::Function::New(env, Cookie, "cookie"));
  exports.Set("probeDestroy", Napi::Function::New(env, ProbeDestroy, "probeDestroy"));
  return exports;
}

}  // namespace sockctl
