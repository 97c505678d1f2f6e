// Binding for network-namespace setup (core/netns): brings `lo` up inside a fresh namespace.
// netdevice(7).
#include "netns.h"

#include <string>

#include "core/netns.h"
#include "errors.h"

namespace sockctl {
namespace {

// Fixed to `lo` on purpose: the helper exists to make loopback usable, nothing else.
Napi::Value LoopbackUp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* request = "";
  int err = core::BringLinkUp("lo", &request);
  if (err != 0) {
    if (std::string(request) == "socket") throw SystemError(env, err, "socket");
    throw RequestError(env, err, "ioctl", request);
  }
  return env.Undefined();
}

}  // namespace

Napi::Object InitNetns(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("loopbackUp", Napi::Function::New(env, LoopbackUp, "loopbackUp"));
  return exports;
}

}  // namespace sockctl
