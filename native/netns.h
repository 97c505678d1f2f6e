#ifndef SOCKCTL_NETNS_H_
#define SOCKCTL_NETNS_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitNetns(Napi::Env env);
}
#endif  // SOCKCTL_NETNS_H_
