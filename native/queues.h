#ifndef SOCKCTL_QUEUES_H_
#define SOCKCTL_QUEUES_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitQueues(Napi::Env env);
}
#endif  // SOCKCTL_QUEUES_H_
