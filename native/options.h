#ifndef SOCKCTL_OPTIONS_H_
#define SOCKCTL_OPTIONS_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitOptions(Napi::Env env);
}
#endif  // SOCKCTL_OPTIONS_H_
