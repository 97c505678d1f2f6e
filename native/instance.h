// Per-environment state of the addon (napi_set_instance_data), so each worker_threads
// environment has its own: the fds this library opened there and its readiness waits.
#ifndef SOCKCTL_INSTANCE_H_
#define SOCKCTL_INSTANCE_H_

#include <napi.h>

#include <unordered_map>
#include <unordered_set>

#include "core/capture.h"

namespace sockctl {

struct PollState;

// An owned capture socket's receive ring and the ports its filter passes, each with the number
// of holders that asked for it (several captures share one socket).
struct CaptureState {
  core::CaptureRing ring;
  uint16_t ports[core::kMaxCapturePorts] = {};
  uint32_t holders[core::kMaxCapturePorts] = {};
  int port_count = 0;
};

struct Instance {
  // Only these fds may be read, written, polled or closed by rawIo/poll: any other fd belongs
  // to someone else (a net.Socket's belongs to libuv).
  std::unordered_set<int> owned_fds;
  // Null once the environment's cleanup has closed the poll handles.
  PollState* poll = nullptr;
  // Owned capture sockets (AF_PACKET) by fd: their rings are unmapped when the fd is closed,
  // since close(2) alone would leave the mapping.
  std::unordered_map<int, CaptureState> captures;

  // Closes whatever sockets are still open when the environment goes away (a terminated
  // worker), so they do not outlive it.
  ~Instance();
};

// This environment's instance, created on first use.
Instance& GetInstance(Napi::Env env);

// An fd argument that must be one this library opened in this environment.
int OwnedFdArg(const Napi::CallbackInfo& info, size_t index);

// Drops an owned fd from the books and releases what hangs on it (a capture ring); the caller
// has stopped libuv watching it and closes it right after.
void ForgetOwned(Instance& instance, int fd);

}  // namespace sockctl

#endif  // SOCKCTL_INSTANCE_H_
