// Keeps the binary's libstdc++ floor at GCC 5 (GLIBCXX_3.4.21, CXXABI_1.3.9), where Node's own
// linux-x64 and linux-arm64 binaries have it. GCC 11 and later inline a call to
// std::__throw_bad_array_new_length (GLIBCXX_3.4.29, new in GCC 11) into every
// std::allocator<T>::allocate; that one reference alone would make the dynamic loader refuse the
// prebuild on Debian 11, Ubuntu 20.04 or RHEL 8, where Node itself runs. A hidden definition here
// binds those calls inside the addon and throws the same exception through the ABI's own
// __cxa_throw_bad_array_new_length (CXXABI_1.3.8, GCC 4.9). See ld.so(8), "symbol versioning".
#include <cxxabi.h>

namespace std {

__attribute__((visibility("hidden"))) void __throw_bad_array_new_length() {
  __cxxabiv1::__cxa_throw_bad_array_new_length();
}

}  // namespace std
