#ifndef SOCKCTL_POLL_H_
#define SOCKCTL_POLL_H_
#include <napi.h>
namespace sockctl {
Napi::Object InitPoll(Napi::Env env);

// Stops libuv watching fd and settles its waits as cancelled (their callbacks run later, from
// the loop). Must precede close(fd). Returns how many waits were cancelled.
int CancelWaits(Napi::Env env, int fd);
}  // namespace sockctl
#endif  // SOCKCTL_POLL_H_
