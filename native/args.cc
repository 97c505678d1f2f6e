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
  if (!std::isfinite(value) || std::trunc(value) != value || value < min || value > max) {
    std::string range =
        "an integer >= " + std::to_string(min) + " and <= " + std::to_string(max);
    throw ArgRangeError(env, name, range.c_str());
  }
  return static_cast<int32_t>(value);
}

int FdArg(const Napi::CallbackInfo& info, size_t index) {
  return IntArg(info, index, "fd", 0, INT32_MAX);
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

namespace {

size_t ElementSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 1;
  }
}

}  // namespace

Bytes BytesArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Env env = info.Env();
  if (index < info.Length()) {
    Napi::Value value = info[index];
    // napi_get_typedarray_info checks the type itself (napi_invalid_arg otherwise, nothing
    // thrown): one N-API call on tcpInfo's allocation-free hot path.
    napi_typedarray_type type;
    size_t count = 0;
    void* elements = nullptr;
    if (napi_get_typedarray_info(env, value, &type, &count, &elements, nullptr, nullptr) ==
        napi_ok) {
      return {static_cast<uint8_t*>(elements), count * ElementSize(type)};
    }
    if (value.IsDataView()) {
      size_t length = 0;
      void* data = nullptr;
      if (napi_get_dataview_info(env, value, &length, &data, nullptr, nullptr) == napi_ok) {
        return {static_cast<uint8_t*>(data), length};
      }
    }
  }
  throw ArgTypeError(env, name, "an instance of Buffer, TypedArray or DataView");
}

}  // namespace sockctl
