#ifndef SOCKCTL_SOCKETS_H_
#define SOCKCTL_SOCKETS_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitSockets(Napi::Env env);
}
#endif  // SOCKCTL_SOCKETS_H_
