#ifndef SOCKCTL_TCP_INFO_H_
#define SOCKCTL_TCP_INFO_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitTcpInfo(Napi::Env env);
}
#endif  // SOCKCTL_TCP_INFO_H_
