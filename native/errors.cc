// Node-shaped errors for kernel failures and bad arguments (errno(3), Node's SystemError).
#include "errors.h"

#include <errno.h>
#include <uv.h>

#include <string>

namespace sockctl {

const char* ErrnoName(int err) {
  // libuv's table lacks a few errnos this library can meet (a malformed netlink answer is
  // EBADMSG): those get their <errno.h> names, as errors.ts does on the JavaScript side.
  switch (err) {
    case EBADMSG:
      return "EBADMSG";
    case EINPROGRESS:
      return "EINPROGRESS";
    default:
      // Same table Node uses for util.getSystemErrorName(), so codes match Node's errors.
      return uv_err_name(-err);
  }
}

Napi::Error SystemError(Napi::Env env, int err, const char* syscall) {
  const char* code = ErrnoName(err);
  Napi::Error error = Napi::Error::New(env, std::string(syscall) + " " + code);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, -err));
  obj.Set("code", Napi::String::New(env, code));
  obj.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

Napi::Error OptionError(Napi::Env env, int err, const char* syscall, const char* option) {
  Napi::Error error = SystemError(env, err, syscall);
  error.Value().Set("option", Napi::String::New(env, option));
  return error;
}

Napi::Error RequestError(Napi::Env env, int err, const char* syscall, const char* request) {
  Napi::Error error = SystemError(env, err, syscall);
  error.Value().Set("request", Napi::String::New(env, request));
  return error;
}

Napi::Array ErrnoResult(Napi::Env env, int err, const char* step) {
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, err));
  out.Set(1u, Napi::String::New(env, err == 0 ? "" : step));
  return out;
}

Napi::TypeError ArgTypeError(Napi::Env env, const char* name, const char* expected) {
  Napi::TypeError error =
      Napi::TypeError::New(env, std::string("The \"") + name + "\" argument must be " + expected);
  error.Value().Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  return error;
}

Napi::TypeError ArgValueError(Napi::Env env, const char* name, const char* expected) {
  Napi::TypeError error =
      Napi::TypeError::New(env, std::string("The argument '") + name + "' must be " + expected);
  error.Value().Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
  return error;
}

Napi::RangeError ArgRangeError(Napi::Env env, const char* name, const char* range) {
  Napi::RangeError error = Napi::RangeError::New(
      env, std::string("The value of \"") + name + "\" is out of range. It must be " + range);
  error.Value().Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  return error;
}

}  // namespace sockctl
