// Binding for getsockopt(TCP_INFO), tcp(7): copies the kernel's struct tcp_info into the
// caller's bytes and returns the length the kernel wrote, for one socket or for many in one call
// (tcpInfoBatch). Decoding happens in TypeScript (src/controls/tcp-info.ts) from one field
// table, so fields a kernel does not have stay undefined.
//
// These are the bindings observability code calls per socket per tick, so their accepting paths
// are written against the C N-API (fast_call.h): tcpInfo(fd, buffer) is one napi_get_cb_info,
// one number, one napi_get_buffer_info (any ArrayBufferView: its bytes, offset included), the
// syscall and one uint32. Anything the fast checks refuse goes through the checked path.
#include "tcp_info.h"

#include <errno.h>

#include <cstdint>
#include <limits>

#include "args.h"
#include "core/options.h"
#include "errors.h"
#include "fast_call.h"

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

napi_value TcpInfo(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2] = {nullptr, nullptr};
  int fd = -1;
  void* data = nullptr;
  size_t length = 0;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2 ||
      !FastFd(env, argv[0], &fd) || napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok) {
    return Guarded(env,
                   [&] { return napi_value(TcpInfoChecked(Napi::CallbackInfo(env, cbinfo))); });
  }
  unsigned written = ClampLength(length);
  int err = core::GetTcpInfo(fd, data, &written);
  if (err != 0) {
    return Guarded(env, [&]() -> napi_value { throw TcpInfoError(Napi::Env(env), err); });
  }
  napi_value result = nullptr;
  if (napi_create_uint32(env, written, &result) != napi_ok) {
    return Guarded(env, [&]() -> napi_value { throw Napi::Error::New(Napi::Env(env)); });
  }
  return result;
}

// Most bytes one socket's slot may have in a batch.
constexpr int32_t kMaxStride = 65536;

// An Int32Array's elements; false when `value` is anything else.
bool Int32s(napi_env env, napi_value value, int32_t** data, size_t* length) {
  napi_typedarray_type type;
  void* bytes = nullptr;
  napi_value buffer = nullptr;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, value, &type, length, &bytes, &buffer, &offset) != napi_ok ||
      type != napi_int32_array) {
    return false;
  }
  *data = static_cast<int32_t*>(bytes);
  return true;
}

struct Batch {
  int32_t* fds;
  size_t count;
  uint8_t* out;
  size_t stride;
  int32_t* lengths;
};

// Whether the slots fit: `count` slots of `stride` bytes, and a length for each.
bool Fits(size_t count, size_t out_length, size_t stride, size_t lengths_length) {
  return lengths_length >= count && (count == 0 || out_length / count >= stride);
}

Napi::Value TcpInfoBatchChecked(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Batch b = {};
  if (info.Length() < 1 || !Int32s(env, info[0], &b.fds, &b.count)) {
    throw ArgTypeError(env, "fds", "an instance of Int32Array");
  }
  Bytes out = BytesArg(info, 1, "buffer");
  b.out = out.data;
  b.stride = static_cast<size_t>(IntArg(info, 2, "stride", 1, kMaxStride));
  size_t lengths_length = 0;
  if (info.Length() < 4 || !Int32s(env, info[3], &b.lengths, &lengths_length)) {
    throw ArgTypeError(env, "lengths", "an instance of Int32Array");
  }
  if (lengths_length < b.count) throw ArgRangeError(env, "lengths", "at least as long as fds");
  if (!Fits(b.count, out.length, b.stride, lengths_length)) {
    throw ArgRangeError(env, "buffer", "at least fds.length * stride bytes long");
  }
  return Napi::Number::New(env, core::GetTcpInfoBatch(b.fds, b.count, b.out, b.stride, b.lengths));
}

// tcpInfoBatch(fds, buffer, stride, lengths) → sockets read: getsockopt(TCP_INFO) of fds[i] into
// buffer[i * stride ...], lengths[i] = the kernel's length or -errno (-EBADF for a negative fd).
napi_value TcpInfoBatch(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4] = {nullptr, nullptr, nullptr, nullptr};
  Batch b = {};
  void* out = nullptr;
  size_t out_length = 0;
  double stride = 0;
  size_t lengths_length = 0;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok || argc < 4 ||
      !Int32s(env, argv[0], &b.fds, &b.count) ||
      napi_get_buffer_info(env, argv[1], &out, &out_length) != napi_ok ||
      napi_get_value_double(env, argv[2], &stride) != napi_ok ||
      !IsIntegerIn(stride, 1, kMaxStride) || !Int32s(env, argv[3], &b.lengths, &lengths_length) ||
      !Fits(b.count, out_length, static_cast<size_t>(stride), lengths_length)) {
    return Guarded(
        env, [&] { return napi_value(TcpInfoBatchChecked(Napi::CallbackInfo(env, cbinfo))); });
  }
  b.out = static_cast<uint8_t*>(out);
  b.stride = static_cast<size_t>(stride);
  size_t read = core::GetTcpInfoBatch(b.fds, b.count, b.out, b.stride, b.lengths);
  napi_value result = nullptr;
  if (napi_create_uint32(env, static_cast<uint32_t>(read), &result) != napi_ok) {
    return Guarded(env, [&]() -> napi_value { throw Napi::Error::New(Napi::Env(env)); });
  }
  return result;
}

// noop(x) → x: a call into the addon that does nothing else, the floor under every binding
// (bench/run.mjs measures it next to the getters).
napi_value Noop(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1] = {nullptr};
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1) {
    return nullptr;
  }
  return argv[0];
}

}  // namespace

Napi::Object InitTcpInfo(Napi::Env env) {
  Napi::Object exports = Napi::Object::New(env);
  SetFunction(env, exports, "tcpInfo", TcpInfo);
  SetFunction(env, exports, "tcpInfoBatch", TcpInfoBatch);
  SetFunction(env, exports, "noop", Noop);
  return exports;
}

}  // namespace sockctl
