// Errors raised by the binding layer, shaped like Node's own: a SystemError-like Error with
// `code`/`errno`/`syscall` for kernel failures, TypeError/RangeError with Node's ERR_* codes for
// bad arguments. See errno(3) and Node's "Errors" documentation.
#ifndef SOCKCTL_ERRORS_H_
#define SOCKCTL_ERRORS_H_

#include <napi.h>

namespace sockctl {

// Name of an errno value as libuv (and so Node) spells it: "ECONNRESET".
const char* ErrnoName(int err);

// Error with code, errno (negative, as Node reports it), syscall and message "syscall CODE".
Napi::Error SystemError(Napi::Env env, int err, const char* syscall);

// SystemError naming the socket option involved: also sets `option` ("TCP_INFO").
Napi::Error OptionError(Napi::Env env, int err, const char* syscall, const char* option);

// SystemError naming the ioctl or netlink request the kernel answered: also sets `request`
// ("SIOCINQ", "SOCK_DESTROY").
Napi::Error RequestError(Napi::Env env, int err, const char* syscall, const char* request);

// An errno returned as data rather than thrown (probes, where a refusal is the answer):
// [errno (positive, 0 = success), step that failed ("" on success)].
Napi::Array ErrnoResult(Napi::Env env, int err, const char* step);

// TypeError with code ERR_INVALID_ARG_TYPE.
Napi::TypeError ArgTypeError(Napi::Env env, const char* name, const char* expected);

// TypeError with code ERR_INVALID_ARG_VALUE: right type, unusable value.
Napi::TypeError ArgValueError(Napi::Env env, const char* name, const char* expected);

// RangeError with code ERR_OUT_OF_RANGE.
Napi::RangeError ArgRangeError(Napi::Env env, const char* name, const char* range);

}  // namespace sockctl

#endif  // SOCKCTL_ERRORS_H_
