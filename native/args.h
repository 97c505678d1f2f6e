// Argument conversion for the binding layer: every value coming from JavaScript is checked
// here before it reaches a syscall, so a wrong type throws instead of crashing.
#ifndef SOCKCTL_ARGS_H_
#define SOCKCTL_ARGS_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sockctl {

// Whether `value` is an integer in [min, max] (false for NaN, infinities and fractions).
bool IsIntegerIn(double value, int32_t min, int32_t max);

// A file descriptor: an integer in [0, INT32_MAX].
int FdArg(const Napi::CallbackInfo& info, size_t index);

// An integer in [min, max]; NaN, fractions and non-numbers throw.
int32_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* name, int32_t min,
               int32_t max);

// An address family as the JavaScript side names it: 4 or 6 (a RangeError for anything else).
int FamilyArg(const Napi::CallbackInfo& info, size_t index);

// A string, copied out of JavaScript.
std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* name);

// A function.
Napi::Function FunctionArg(const Napi::CallbackInfo& info, size_t index, const char* name);

// An array of at most max_length integers, each in [min, max] (an array shorter than
// min_length, a non-number or a value out of range throws).
std::vector<int32_t> IntegerArrayArg(const Napi::CallbackInfo& info, size_t index, const char* name,
                                     uint32_t min_length, uint32_t max_length, int32_t min,
                                     int32_t max);

// A writable byte view (Buffer, Uint8Array or any TypedArray/DataView's bytes).
struct Bytes {
  uint8_t* data;
  size_t length;
};
Bytes BytesArg(const Napi::CallbackInfo& info, size_t index, const char* name);

}  // namespace sockctl

#endif  // SOCKCTL_ARGS_H_
