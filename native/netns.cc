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
    bool is_socket = std::string(request) == "socket";
    Napi::Error error = SystemError(env, err, is_socket ? "socket" : "ioctl");
    if (!is_socket) error.Value().Set("request", Napi::String::New(env, request));
    throw error;
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
