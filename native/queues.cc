// Binding for the socket queue ioctls of tcp(7): SIOCINQ, SIOCOUTQ, SIOCOUTQNSD.
#include "queues.h"

#include "args.h"
#include "core/options.h"
#include "errors.h"

namespace sockctl {
namespace {

Napi::Value Queues(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  core::Queues q = {};
  const char* failed = nullptr;
  int err = core::GetQueues(fd, &q, &failed);
  if (err != 0) throw RequestError(env, err, "ioctl", failed);
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, q.unread));
  out.Set(1u, Napi::Number::New(env, q.unacked_and_unsent));
  out.Set(2u, Napi::Number::New(env, q.unsent));
  return out;
}

}  // namespace

Napi::Object InitQueues(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("queues", Napi::Function::New(env, Queues, "queues"));
  return exports;
}

}  // namespace sockctl
