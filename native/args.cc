// Checked conversion of JavaScript arguments (see args.h).
#include "args.h"

#include <cmath>
#include <string>

#include "errors.h"

namespace sockctl {

int32_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* name, int32_t min,
               int32_t max) {
  Napi::Env env = info.Env();
  // napi_get_value_double checks the type itself: one N-API call instead of typeof + value,
  // on every fd of every call.
  double value = 0;
  if (index >= info.Length() || napi_get_value_double(env, info[index], &value) != napi_ok) {
    throw ArgTypeError(env, name, "of type number");
  }
  if (!IsIntegerIn(value, min, max)) {
    std::string range = "an integer >= " + std::to_string(min) + " and <= " + std::to_string(max);
    throw ArgRangeError(env, name, range.c_str());
  }
  return static_cast<int32_t>(value);
}

bool IsIntegerIn(double value, int32_t min, int32_t max) {
  return std::isfinite(value) && std::trunc(value) == value && value >= min && value <= max;
}

int FdArg(const Napi::CallbackInfo& info, size_t index) {
  return IntArg(info, index, "fd", 0, INT32_MAX);
}

int FamilyArg(const Napi::CallbackInfo& info, size_t index) {
  int family = IntArg(info, index, "family", 4, 6);
  if (family == 5) throw ArgRangeError(info.Env(), "family", "4 or 6");
  return family;
}

std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || !info[index].IsString()) {
    throw ArgTypeError(info.Env(), name, "of type string");
  }
  return info[index].As<Napi::String>().Utf8Value();
}

Napi::Function FunctionArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || !info[index].IsFunction()) {
    throw ArgTypeError(info.Env(), name, "of type function");
  }
  return info[index].As<Napi::Function>();
}

std::vector<int32_t> IntegerArrayArg(const Napi::CallbackInfo& info, size_t index, const char* name,
                                     uint32_t min_length, uint32_t max_length, int32_t min,
                                     int32_t max) {
  Napi::Env env = info.Env();
  if (index >= info.Length() || !info[index].IsArray())
    throw ArgTypeError(env, name, "an instance of Array");
  Napi::Array array = info[index].As<Napi::Array>();
  uint32_t length = array.Length();
  if (length < min_length || length > max_length) {
    std::string range = "an array of " + std::to_string(min_length) + " to " +
                        std::to_string(max_length) + " items";
    throw ArgRangeError(env, name, range.c_str());
  }
  std::vector<int32_t> out;
  out.reserve(length);
  for (uint32_t i = 0; i < length; i++) {
    // Get() may run a getter of a hostile array; its exception propagates as a JS exception.
    double value = 0;
    if (napi_get_value_double(env, array.Get(i), &value) != napi_ok)
      throw ArgTypeError(env, name, "an array of numbers");
    if (!IsIntegerIn(value, min, max)) {
      std::string range = "integers >= " + std::to_string(min) + " and <= " + std::to_string(max);
      throw ArgRangeError(env, name, range.c_str());
    }
    out.push_back(static_cast<int32_t>(value));
  }
  return out;
}

Bytes BytesArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  // napi_get_buffer_info takes any ArrayBufferView (Buffer, every TypedArray, DataView) and
  // gives its bytes, byte offset included; anything else is napi_invalid_arg, nothing thrown.
  void* data = nullptr;
  size_t length = 0;
  if (index < info.Length() && napi_get_buffer_info(env, info[index], &data, &length) == napi_ok) {
    return {static_cast<uint8_t*>(data), length};
  }
  throw ArgTypeError(env, name, "an instance of Buffer, TypedArray or DataView");
}

}  // namespace sockctl
