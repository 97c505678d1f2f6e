// Readiness waits on owned sockets, from libuv's loop: never blocks it, never busy-polls.
// libuv allows one uv_poll_t per fd, so each watched fd has one poll handle shared by its
// waits; each wait has its own uv_timer_t as its bound. Handles are closed in an async
// cleanup hook so a terminating worker's loop ends with none open. See uv_poll_t and
// uv_timer_t in the libuv docs, epoll(7), and Node-API's napi_add_async_cleanup_hook.
#include "poll.h"

#include <uv.h>

#include <algorithm>
#include <climits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "args.h"
#include "errors.h"
#include "instance.h"

namespace sockctl {

// How a wait ended; the callback's first argument.
enum Outcome { kReady = 0, kTimedOut = 1, kCancelled = 2, kFailed = 3 };

struct Watch;

struct Wait {
  PollState* state;
  Watch* watch;  // null once the wait has ended
  int events;
  uv_timer_t timer;
  napi_ref callback;
  int outcome;
  int value;
};

struct Watch {
  PollState* state;
  int fd;
  uv_poll_t poll;
  std::vector<Wait*> waits;
};

struct PollState {
  napi_env env;
  uv_loop_t* loop;
  napi_async_context context;
  std::unordered_map<int, Watch*> watches;
  std::unordered_set<Wait*> waits;
  size_t open_handles = 0;
  bool tearing_down = false;
  napi_async_cleanup_hook_handle cleanup = nullptr;
};

namespace {

void HandleClosed(PollState* state) {
  if (--state->open_handles > 0 || !state->tearing_down) return;
  napi_remove_async_cleanup_hook(state->cleanup);
  delete state;
}

void CallBack(Wait* wait) {
  napi_env env = wait->state->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, argv[2], result;
  napi_get_reference_value(env, wait->callback, &fn);
  // napi_make_callback converts the receiver to an object: undefined would throw.
  napi_get_global(env, &recv);
  napi_create_int32(env, wait->outcome, &argv[0]);
  napi_create_int32(env, wait->value, &argv[1]);
  // MakeCallback, not Call: the loop invoked us, so promise jobs queued by the callback
  // must be run on the way out.
  if (napi_make_callback(env, wait->state->context, recv, fn, 2, argv, &result) ==
      napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

void OnTimerClosed(uv_handle_t* handle) {
  Wait* wait = static_cast<Wait*>(handle->data);
  PollState* state = wait->state;
  state->waits.erase(wait);
  // During teardown the references are already gone and JavaScript may no longer run.
  if (!state->tearing_down) {
    CallBack(wait);
    napi_delete_reference(state->env, wait->callback);
  }
  delete wait;
  HandleClosed(state);
}

void OnPollClosed(uv_handle_t* handle) {
  Watch* watch = static_cast<Watch*>(handle->data);
  PollState* state = watch->state;
  delete watch;
  HandleClosed(state);
}

// The callback runs from the timer's close callback, once libuv no longer uses the handle,
// so it may start or cancel waits on the same fd.
void Finish(Wait* wait, Outcome outcome, int value) {
  if (wait->watch != nullptr) {
    std::vector<Wait*>& waits = wait->watch->waits;
    waits.erase(std::remove(waits.begin(), waits.end(), wait), waits.end());
    wait->watch = nullptr;
  }
  wait->outcome = outcome;
  wait->value = value;
  uv_timer_stop(&wait->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&wait->timer), OnTimerClosed);
}

void CloseWatch(Watch* watch) {
  watch->state->watches.erase(watch->fd);
  uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll), OnPollClosed);
}

void OnPoll(uv_poll_t* handle, int status, int events);

// Watches the union of the remaining waits' events; closes the handle when none is left.
void Rearm(Watch* watch) {
  if (watch->waits.empty()) {
    CloseWatch(watch);
    return;
  }
  int events = 0;
  for (Wait* wait : watch->waits) events |= wait->events;
  int err = uv_poll_start(&watch->poll, events, OnPoll);
  if (err == 0) return;
  std::vector<Wait*> failed = watch->waits;
  for (Wait* wait : failed) Finish(wait, kFailed, -err);
  CloseWatch(watch);
}

void OnPoll(uv_poll_t* handle, int status, int events) {
  Watch* watch = static_cast<Watch*>(handle->data);
  std::vector<Wait*> ready;
  for (Wait* wait : watch->waits) {
    // libuv reports EPOLLERR (a pending socket error, e.g. after an RST) as status UV_EBADF
    // and stops the handle: every wait is then ready, and its syscall will tell the errno.
    if (status < 0 || (events & wait->events) != 0) ready.push_back(wait);
  }
  for (Wait* wait : ready) {
    if (status < 0) {
      Finish(wait, kFailed, -status);
    } else {
      Finish(wait, kReady, events & wait->events);
    }
  }
  Rearm(watch);
}

void OnTimer(uv_timer_t* handle) {
  Wait* wait = static_cast<Wait*>(handle->data);
  Watch* watch = wait->watch;
  Finish(wait, kTimedOut, 0);
  if (watch != nullptr) Rearm(watch);
}

PollState* StateOf(Napi::Env env) {
  PollState* state = GetInstance(env).poll;
  if (state == nullptr) {
    Napi::Error error = Napi::Error::New(env, "The environment is shutting down");
    error.Value().Set("code", Napi::String::New(env, "ERR_SOCKCTL_TEARDOWN"));
    throw error;
  }
  return state;
}

// Starts waiting for events (UV_READABLE | UV_WRITABLE) on an owned fd for at most
// timeout ms. callback(outcome, value) is called exactly once, always from the loop:
// ready with the events seen, timed out, cancelled (fd closed), or failed with an errno.
Napi::Value StartWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = OwnedFdArg(info, 0);
  int events = IntArg(info, 1, "events", UV_READABLE, UV_READABLE | UV_WRITABLE);
  int timeout = IntArg(info, 2, "timeout", 0, INT32_MAX);
  Napi::Function callback = FunctionArg(info, 3, "callback");
  PollState* state = StateOf(env);

  Wait* wait = new Wait{state, nullptr, events, {}, nullptr, kTimedOut, 0};
  napi_create_reference(env, callback, 1, &wait->callback);
  uv_timer_init(state->loop, &wait->timer);
  wait->timer.data = wait;
  state->open_handles++;
  state->waits.insert(wait);

  Watch* watch = nullptr;
  auto found = state->watches.find(fd);
  if (found != state->watches.end()) {
    watch = found->second;
  } else {
    watch = new Watch{state, fd, {}, {}};
    int err = uv_poll_init(state->loop, &watch->poll, fd);
    if (err != 0) {
      delete watch;
      Finish(wait, kFailed, -err);
      return env.Undefined();
    }
    watch->poll.data = watch;
    state->open_handles++;
    state->watches[fd] = watch;
  }
  wait->watch = watch;
  watch->waits.push_back(wait);
  // The loop's clock is read once per iteration; JavaScript that ran since then would make
  // the wait end early by that much (seen under load: a 50 ms wait ending after 20 ms).
  uv_update_time(state->loop);
  uv_timer_start(&wait->timer, OnTimer, static_cast<uint64_t>(timeout), 0);
  Rearm(watch);
  return env.Undefined();
}

Napi::Value Cancel(const Napi::CallbackInfo& info) {
  int fd = OwnedFdArg(info, 0);
  return Napi::Number::New(info.Env(), CancelWaits(info.Env(), fd));
}

Napi::Value Pending(const Napi::CallbackInfo& info) {
  PollState* state = StateOf(info.Env());
  return Napi::Number::New(info.Env(), static_cast<double>(state->waits.size()));
}

// Runs when the environment exits (process end or worker termination): no JavaScript may run
// any more, so the waits are dropped without callbacks and every handle is closed; Node
// keeps the loop going until HandleClosed removes the hook.
void Teardown(napi_async_cleanup_hook_handle handle, void* arg) {
  PollState* state = static_cast<PollState*>(arg);
  napi_env env = state->env;
  state->tearing_down = true;
  state->cleanup = handle;
  Instance* instance = nullptr;
  if (napi_get_instance_data(env, reinterpret_cast<void**>(&instance)) == napi_ok &&
      instance != nullptr) {
    instance->poll = nullptr;
  }
  for (Wait* wait : state->waits) {
    napi_delete_reference(env, wait->callback);
    if (wait->watch != nullptr) {
      wait->watch = nullptr;
      uv_timer_stop(&wait->timer);
      uv_close(reinterpret_cast<uv_handle_t*>(&wait->timer), OnTimerClosed);
    }
  }
  std::vector<Watch*> watches;
  for (auto& entry : state->watches) watches.push_back(entry.second);
  for (Watch* watch : watches) {
    watch->waits.clear();
    CloseWatch(watch);
  }
  napi_async_destroy(env, state->context);
  if (state->open_handles == 0) {
    napi_remove_async_cleanup_hook(handle);
    delete state;
  }
}

}  // namespace

int CancelWaits(Napi::Env env, int fd) {
  PollState* state = GetInstance(env).poll;
  if (state == nullptr) return 0;
  auto found = state->watches.find(fd);
  if (found == state->watches.end()) return 0;
  Watch* watch = found->second;
  // Stops epoll watching the fd now, so the caller may close it right after.
  uv_poll_stop(&watch->poll);
  std::vector<Wait*> waits = watch->waits;
  for (Wait* wait : waits) Finish(wait, kCancelled, 0);
  CloseWatch(watch);
  return static_cast<int>(waits.size());
}

Napi::Object InitPoll(Napi::Env env) {
  Instance& instance = GetInstance(env);
  if (instance.poll == nullptr) {
    PollState* state = new PollState();
    state->env = env;
    NAPI_THROW_IF_FAILED(env, napi_get_uv_event_loop(env, &state->loop), Napi::Object());
    napi_value name = Napi::String::New(env, "sockctl.poll");
    NAPI_THROW_IF_FAILED(env, napi_async_init(env, nullptr, name, &state->context), Napi::Object());
    NAPI_THROW_IF_FAILED(env, napi_add_async_cleanup_hook(env, Teardown, state, nullptr),
                         Napi::Object());
    instance.poll = state;
  }
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("wait", Napi::Function::New(env, StartWait, "wait"));
  exports.Set("cancel", Napi::Function::New(env, Cancel, "cancel"));
  exports.Set("pending", Napi::Function::New(env, Pending, "pending"));
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("READABLE", Napi::Number::New(env, UV_READABLE));
  constants.Set("WRITABLE", Napi::Number::New(env, UV_WRITABLE));
  constants.Set("READY", Napi::Number::New(env, kReady));
  constants.Set("TIMED_OUT", Napi::Number::New(env, kTimedOut));
  constants.Set("CANCELLED", Napi::Number::New(env, kCancelled));
  constants.Set("FAILED", Napi::Number::New(env, kFailed));
  exports.Set("constants", constants);
  return exports;
}

}  // namespace sockctl
