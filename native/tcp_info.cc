// Binding for getsockopt(TCP_INFO), tcp(7): copies the kernel's struct tcp_info into the
// caller's bytes and returns the length the kernel wrote. Decoding happens in TypeScript
// (src/tcp-info.ts) from one field table, so fields a kernel does not have stay undefined.
#include "tcp_info.h"

#include <limits>

#include "args.h"
#include "core/options.h"
#include "errors.h"

namespace sockctl {
namespace {

Napi::Value TcpInfo(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0);
  Bytes bytes = BytesArg(info, 1, "buffer");
  unsigned length = bytes.length > std::numeric_limits<unsigned>::max()
                        ? std::numeric_limits<unsigned>::max()
                        : static_cast<unsigned>(bytes.length);
  int err = core::GetTcpInfo(fd, bytes.data, &length);
  if (err != 0) {
    Napi::Error error = SystemError(info.Env(), err, "getsockopt");
    error.Value().Set("option", Napi::String::New(info.Env(), "TCP_INFO"));
    throw error;
  }
  return Napi::Number::New(info.Env(), length);
}

}  // namespace

Napi::Object InitTcpInfo(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("tcpInfo", Napi::Function::New(env, TcpInfo, "tcpInfo"));
  return exports;
}

}  // namespace sockctl
