// Per-environment addon state (napi_set_instance_data, Node-API "Environment life cycle APIs").
#include "instance.h"

#include "args.h"
#include "core/raw_io.h"
#include "errors.h"

namespace sockctl {

Instance::~Instance() {
  // The poll module's async cleanup hook holds a reference on the environment, so this
  // destructor runs after every uv_poll_t has been stopped: closing the fds here is safe.
  for (auto& entry : captures) core::ReleaseRing(&entry.second.ring);
  for (int fd : owned_fds) core::Close(fd);
}

Instance& GetInstance(Napi::Env env) {
  Instance* instance = env.GetInstanceData<Instance>();
  if (instance == nullptr) {
    instance = new Instance();
    env.SetInstanceData(instance);
  }
  return *instance;
}

int OwnedFdArg(const Napi::CallbackInfo& info, size_t index) {
  int fd = FdArg(info, index);
  if (GetInstance(info.Env()).owned_fds.count(fd) == 0) {
    throw ArgValueError(info.Env(), "fd", "a socket opened by sockctl and not yet closed");
  }
  return fd;
}

void ForgetOwned(Instance& instance, int fd) {
  auto capture = instance.captures.find(fd);
  if (capture != instance.captures.end()) {
    core::ReleaseRing(&capture->second.ring);
    instance.captures.erase(capture);
  }
  instance.owned_fds.erase(fd);
}

}  // namespace sockctl
