// Binding for kill (core/diag): the kernel destroys a socket on request, SOCK_DESTROY by 4-tuple
// and SO_COOKIE, sock_diag(7); SO_COOKIE itself, socket(7). The probe returns its errno as data.
#include "diag.h"

#include <cstring>

#include "args.h"
#include "core/diag.h"
#include "errors.h"

namespace sockctl {
namespace {

Napi::Error KillError(Napi::Env env, int err, const char* step) {
  // The kernel's own answer: say which netlink request it answered, as queues() names its ioctl.
  if (std::strcmp(step, "sock_diag") == 0) return RequestError(env, err, step, "SOCK_DESTROY");
  return SystemError(env, err, step);
}

Napi::Value Kill(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  const char* step = "";
  int err = core::KillSocket(fd, &step);
  if (err != 0) throw KillError(info.Env(), err, step);
  return info.Env().Undefined();
}

Napi::Value Cookie(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  uint64_t cookie = 0;
  int err = core::GetCookie(fd, &cookie);
  if (err != 0) throw OptionError(info.Env(), err, "getsockopt", "SO_COOKIE");
  return Napi::BigInt::New(info.Env(), cookie);
}

// probeKill() → [errno, step]; errno 0 means a throwaway socket was destroyed.
Napi::Value ProbeKill(const Napi::CallbackInfo& info) {
  const char* step = "";
  int err = core::ProbeKill(&step);
  return ErrnoResult(info.Env(), err, step);
}

}  // namespace

Napi::Object InitDiag(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("kill", Napi::Function::New(env, Kill, "kill"));
  exports.Set("cookie", Napi::Function::New(env, Cookie, "cookie"));
  exports.Set("probeKill", Napi::Function::New(env, ProbeKill, "probeKill"));
  return exports;
}

}  // namespace sockctl
