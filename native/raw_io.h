#ifndef SOCKCTL_RAW_IO_H_
#define SOCKCTL_RAW_IO_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitRawIo(Napi::Env env);
}
#endif  // SOCKCTL_RAW_IO_H_
