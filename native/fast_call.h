// The accepting path of the hot getters (tcpInfo, tcpInfoBatch, getUserTimeout), written against
// the C N-API: every check is one call that reports failure instead of throwing, and whatever it
// refuses goes through the binding's checked path (node-addon-api), which throws the same coded
// errors as every other binding. Saves ~40 ns a call over Napi::CallbackInfo/Napi::Value
// (bench/run.mjs). See Node-API: napi_get_cb_info, napi_get_value_double, napi_get_buffer_info.
#ifndef SOCKCTL_FAST_CALL_H_
#define SOCKCTL_FAST_CALL_H_

#include <napi.h>

#include <cstdint>

#include "args.h"

namespace sockctl {

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

// `value` as an fd (an integer in [0, INT32_MAX]); false, with nothing thrown, otherwise.
inline bool FastFd(napi_env env, napi_value value, int* fd) {
  double number = -1;
  if (napi_get_value_double(env, value, &number) != napi_ok || !IsIntegerIn(number, 0, INT32_MAX)) {
    return false;
  }
  *fd = static_cast<int>(number);
  return true;
}

// Registers a C N-API function on `exports`.
inline void SetFunction(Napi::Env env, Napi::Object exports, const char* name,
                        napi_callback callback) {
  napi_value function = nullptr;
  NAPI_THROW_IF_FAILED_VOID(
      env, napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, nullptr, &function));
  exports.Set(name, function);
}

}  // namespace sockctl

#endif  // SOCKCTL_FAST_CALL_H_
