// Non-Linux builds: the controls rely on Linux socket options (TCP_INFO layout, TCP_USER_TIMEOUT,
// SIOCOUTQNSD, sock_diag), so loading fails with an explicit error instead of half working.
#include <napi.h>

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Error error = Napi::Error::New(env, "sockctl supports Linux only");
  error.Value().Set("code", Napi::String::New(env, "ERR_SOCKCTL_UNSUPPORTED_PLATFORM"));
  throw error;
  return exports;
}

NODE_API_MODULE(sockctl, Init)
