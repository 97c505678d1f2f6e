// Binding for getsockopt(TCP_INFO), tcp(7): copies the kernel's struct tcp_info into the
// caller's bytes and returns the length the kernel wrote. Decoding happens in TypeScript
// (src/tcp-info.ts) from one field table, so fields a kernel does not have stay undefined.
//
// tcpInfo(fd, buffer) is the binding observability code calls per socket per tick, so its
// accepting path is written against the C N-API: one napi_get_cb_info, one number, one
// napi_get_buffer_info (any ArrayBufferView: its bytes, offset included), the syscall and one
// uint32. That is ~40 ns less per call than going through Napi::CallbackInfo and Napi::Value
// (measured with bench/run.mjs against a C getsockopt loop). Anything the fast checks refuse
// goes through the checked path, which throws the same coded errors as every other binding.
#include "tcp_info.h"

#include <cstdint>
#include <limits>

#include "args.h"
#include "core/options.h"
#include "errors.h"

namespace sockctl {
namespace {

unsigned ClampLength(size_t length) {
  return length > std::numeric_limits<unsigned>::max() ? std::numeric_limits<unsigned>::max()
                                                       : static_cast<unsigned>(length);
}

Napi::Error TcpInfoError(Napi::Env env, int err) {
  return OptionError(env, err, "getsockopt", "TCP_INFO");
}

// The checked path: argument errors and getsockopt failures become coded JavaScript errors.
Napi::Value TcpInfoChecked(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  Bytes bytes = BytesArg(info, 1, "buffer");
  unsigned length = ClampLength(bytes.length);
  int err = core::GetTcpInfo(fd, bytes.data, &length);
  if (err != 0) throw TcpInfoError(info.Env(), err);
  return Napi::Number::New(info.Env(), length);
}

// Runs `body` with node-addon-api's exceptions turned into a pending JavaScript exception, as
// Napi::Function::New does for every other binding.
template <typename Body>
napi_value Guarded(napi_env env, Body body) {
  try {
    return body();
  } catch (const Napi::Error& error) {
    error.ThrowAsJavaScriptException();
    return nullptr;
  }
}

napi_value TcpInfo(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2] = {nullptr, nullptr};
  double fd = -1;
  void* data = nullptr;
  size_t length = 0;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2 ||
      napi_get_value_double(env, argv[0], &fd) != napi_ok || !IsIntegerIn(fd, 0, INT32_MAX) ||
      napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok) {
    return Guarded(env, [&] { return napi_value(TcpInfoChecked(Napi::CallbackInfo(env, cbinfo))); });
  }
  unsigned written = ClampLength(length);
  int err = core::GetTcpInfo(static_cast<int>(fd), data, &written);
  if (err != 0) {
    return Guarded(env, [&]() -> napi_value { throw TcpInfoError(Napi::Env(env), err); });
  }
  napi_value result = nullptr;
  if (napi_create_uint32(env, written, &result) != napi_ok) {
    return Guarded(env, [&]() -> napi_value { throw Napi::Error::New(Napi::Env(env)); });
  }
  return result;
}

}  // namespace

Napi::Object InitTcpInfo(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  napi_value function = nullptr;
  NAPI_THROW_IF_FAILED(env,
                       napi_create_function(env, "tcpInfo", NAPI_AUTO_LENGTH, TcpInfo, nullptr,
                                            &function),
                       exports);
  exports.Set("tcpInfo", function);
  return exports;
}

}  // namespace sockctl
