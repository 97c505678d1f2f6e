// What every core file that opens its own fds needs: an fd closed on every path, and the way a
// failed syscall is reported (the errno returned, the syscall's name in *step).
#ifndef SOCKCTL_CORE_OWNED_FD_H_
#define SOCKCTL_CORE_OWNED_FD_H_

#include <errno.h>
#include <unistd.h>

namespace sockctl::core {

// Closes an fd this library opened itself when it goes out of scope.
class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() {
    if (fd_ >= 0) close(fd_);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// errno of the syscall `name` that just failed, which *step then names.
inline int Fail(const char** step, const char* name) {
  *step = name;
  return errno;
}

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_OWNED_FD_H_
