#ifndef SOCKCTL_CAPTURE_H_
#define SOCKCTL_CAPTURE_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitCapture(Napi::Env env);
}  // namespace sockctl
#endif  // SOCKCTL_CAPTURE_H_
