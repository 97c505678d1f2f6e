#ifndef SOCKCTL_DIAG_H_
#define SOCKCTL_DIAG_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitDiag(Napi::Env env);
}
#endif  // SOCKCTL_DIAG_H_
