#ifndef SOCKCTL_FILTER_H_
#define SOCKCTL_FILTER_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitFilter(Napi::Env env);
}
#endif  // SOCKCTL_FILTER_H_
