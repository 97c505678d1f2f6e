#ifndef SOCKCTL_FORGE_H_
#define SOCKCTL_FORGE_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitForge(Napi::Env env);
}  // namespace sockctl
#endif  // SOCKCTL_FORGE_H_
