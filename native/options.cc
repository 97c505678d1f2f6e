// Binding for socket options on an fd the caller owns or borrows: SO_LINGER, SO_KEEPALIVE and
// its TCP timers, SO_ERROR and the integer escape hatch. socket(7), tcp(7), getsockopt(2).
// Converts arguments, calls core/options, throws Node-shaped errors.
#include "options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "args.h"
#include "core/options.h"
#include "errors.h"
#include "fast_call.h"

namespace sockctl {
namespace {

void ThrowIf(Napi::Env env, int err, const char* syscall, const char* option = nullptr) {
  if (err == 0) return;
  throw option != nullptr ? OptionError(env, err, syscall, option) : SystemError(env, err, syscall);
}

Napi::Value GetOption(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  int level = IntArg(info, 1, "level", 0, INT32_MAX);
  int name = IntArg(info, 2, "name", 0, INT32_MAX);
  int value = 0;
  ThrowIf(info.Env(), core::GetIntOption(fd, level, name, &value), "getsockopt");
  return Napi::Number::New(info.Env(), value);
}

Napi::Value SetOption(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  int level = IntArg(info, 1, "level", 0, INT32_MAX);
  int name = IntArg(info, 2, "name", 0, INT32_MAX);
  int value = IntArg(info, 3, "value", INT32_MIN, INT32_MAX);
  ThrowIf(info.Env(), core::SetIntOption(fd, level, name, value), "setsockopt");
  return info.Env().Undefined();
}

Napi::Value GetLinger(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  int seconds = -1;
  ThrowIf(info.Env(), core::GetLinger(fd, &seconds), "getsockopt", "SO_LINGER");
  return Napi::Number::New(info.Env(), seconds);
}

Napi::Value SetLinger(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  int seconds = IntArg(info, 1, "seconds", -1, INT32_MAX);
  ThrowIf(info.Env(), core::SetLinger(fd, seconds), "setsockopt", "SO_LINGER");
  return info.Env().Undefined();
}

Napi::Value GetKeepAlive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  core::KeepAlive k = {};
  ThrowIf(env, core::GetKeepAlive(fd, &k), "getsockopt");
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::Number::New(env, k.enable));
  out.Set(1u, Napi::Number::New(env, k.idle));
  out.Set(2u, Napi::Number::New(env, k.interval));
  out.Set(3u, Napi::Number::New(env, k.count));
  return out;
}

Napi::Value SetKeepAlive(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  core::KeepAlive k;
  k.enable = IntArg(info, 1, "enable", 0, 1);
  k.idle = IntArg(info, 2, "idle", -1, INT32_MAX);
  k.interval = IntArg(info, 3, "interval", -1, INT32_MAX);
  k.count = IntArg(info, 4, "count", -1, INT32_MAX);
  const char* failed = nullptr;
  ThrowIf(info.Env(), core::SetKeepAlive(fd, k, &failed), "setsockopt", failed);
  return info.Env().Undefined();
}

Napi::Value TakeError(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  int pending = 0;
  ThrowIf(info.Env(), core::TakeError(fd, &pending), "getsockopt", "SO_ERROR");
  return Napi::Number::New(info.Env(), pending);
}

Napi::Value GetUserTimeoutChecked(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  int ms = 0;
  ThrowIf(info.Env(), core::GetIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms), "getsockopt",
          "TCP_USER_TIMEOUT");
  return Napi::Number::New(info.Env(), ms);
}

// getUserTimeout(fd) → ms: TCP_USER_TIMEOUT on the C N-API (fast_call.h), since service code
// reads it per connection; anything unusual goes through the checked path.
napi_value GetUserTimeout(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1] = {nullptr};
  int fd = -1;
  int ms = 0;
  napi_value result = nullptr;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1 ||
      !FastFd(env, argv[0], &fd) ||
      core::GetIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms) != 0 ||
      napi_create_int32(env, ms, &result) != napi_ok) {
    // A failed getsockopt is asked again there, so its error is the one thrown.
    return Guarded(
        env, [&] { return napi_value(GetUserTimeoutChecked(Napi::CallbackInfo(env, cbinfo))); });
  }
  return result;
}

Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
#define SOCKCTL_CONSTANT(name) c.Set(#name, Napi::Number::New(env, name))
  SOCKCTL_CONSTANT(SOL_SOCKET);
  SOCKCTL_CONSTANT(IPPROTO_IP);
  SOCKCTL_CONSTANT(IPPROTO_IPV6);
  SOCKCTL_CONSTANT(IPPROTO_TCP);
  SOCKCTL_CONSTANT(SO_DEBUG);
  SOCKCTL_CONSTANT(SO_REUSEADDR);
  SOCKCTL_CONSTANT(SO_REUSEPORT);
  SOCKCTL_CONSTANT(SO_TYPE);
  SOCKCTL_CONSTANT(SO_ERROR);
  SOCKCTL_CONSTANT(SO_DONTROUTE);
  SOCKCTL_CONSTANT(SO_BROADCAST);
  SOCKCTL_CONSTANT(SO_SNDBUF);
  SOCKCTL_CONSTANT(SO_RCVBUF);
  SOCKCTL_CONSTANT(SO_SNDBUFFORCE);
  SOCKCTL_CONSTANT(SO_RCVBUFFORCE);
  SOCKCTL_CONSTANT(SO_KEEPALIVE);
  SOCKCTL_CONSTANT(SO_OOBINLINE);
  SOCKCTL_CONSTANT(SO_PRIORITY);
  SOCKCTL_CONSTANT(SO_RCVLOWAT);
  SOCKCTL_CONSTANT(SO_SNDLOWAT);
  SOCKCTL_CONSTANT(SO_ACCEPTCONN);
  SOCKCTL_CONSTANT(SO_PROTOCOL);
  SOCKCTL_CONSTANT(SO_DOMAIN);
  SOCKCTL_CONSTANT(SO_MARK);
  SOCKCTL_CONSTANT(SO_BUSY_POLL);
  SOCKCTL_CONSTANT(SO_INCOMING_CPU);
  SOCKCTL_CONSTANT(IP_TOS);
  SOCKCTL_CONSTANT(IP_TTL);
  SOCKCTL_CONSTANT(IP_FREEBIND);
  SOCKCTL_CONSTANT(IP_BIND_ADDRESS_NO_PORT);
  SOCKCTL_CONSTANT(IPV6_V6ONLY);
  SOCKCTL_CONSTANT(IPV6_TCLASS);
  SOCKCTL_CONSTANT(IPV6_UNICAST_HOPS);
  SOCKCTL_CONSTANT(TCP_NODELAY);
  SOCKCTL_CONSTANT(TCP_MAXSEG);
  SOCKCTL_CONSTANT(TCP_CORK);
  SOCKCTL_CONSTANT(TCP_KEEPIDLE);
  SOCKCTL_CONSTANT(TCP_KEEPINTVL);
  SOCKCTL_CONSTANT(TCP_KEEPCNT);
  SOCKCTL_CONSTANT(TCP_SYNCNT);
  SOCKCTL_CONSTANT(TCP_LINGER2);
  SOCKCTL_CONSTANT(TCP_DEFER_ACCEPT);
  SOCKCTL_CONSTANT(TCP_WINDOW_CLAMP);
  SOCKCTL_CONSTANT(TCP_INFO);
  SOCKCTL_CONSTANT(TCP_QUICKACK);
  SOCKCTL_CONSTANT(TCP_USER_TIMEOUT);
  SOCKCTL_CONSTANT(TCP_FASTOPEN);
  SOCKCTL_CONSTANT(TCP_NOTSENT_LOWAT);
  SOCKCTL_CONSTANT(TCP_FASTOPEN_CONNECT);
#undef SOCKCTL_CONSTANT
  return c;
}

}  // namespace

Napi::Object InitOptions(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("getOption", Napi::Function::New(env, GetOption, "getOption"));
  exports.Set("setOption", Napi::Function::New(env, SetOption, "setOption"));
  exports.Set("getLinger", Napi::Function::New(env, GetLinger, "getLinger"));
  exports.Set("setLinger", Napi::Function::New(env, SetLinger, "setLinger"));
  exports.Set("getKeepAlive", Napi::Function::New(env, GetKeepAlive, "getKeepAlive"));
  exports.Set("setKeepAlive", Napi::Function::New(env, SetKeepAlive, "setKeepAlive"));
  exports.Set("takeError", Napi::Function::New(env, TakeError, "takeError"));
  SetFunction(env, exports, "getUserTimeout", GetUserTimeout);
  exports.Set("constants", Constants(env));
  return exports;
}

}  // namespace sockctl
