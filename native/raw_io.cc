// Binding for syscalls on sockets the library owns (socket(2), bind(2), listen(2), connect(2),
// accept4(2), send(2), recv(2), shutdown(2), close(2), getsockname(2), getpeername(2)).
// A kernel answer is data, not an exception: each call returns its result (>= 0) or -errno,
// so the TypeScript layer can show the exact syscall sequence. Arguments that could make the
// call touch memory or fds it must not (wrong types, fds this library did not open) throw.
#include "raw_io.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <climits>
#include <string>

#include "args.h"
#include "core/raw_io.h"
#include "errors.h"
#include "instance.h"
#include "poll.h"

namespace sockctl {
namespace {

Napi::Number Result(Napi::Env env, int err, double value = 0) {
  return Napi::Number::New(env, err == 0 ? value : -static_cast<double>(err));
}

core::Address AddressArgs(const Napi::CallbackInfo& info, size_t index) {
  std::string host = StringArg(info, index, "host");
  int port = IntArg(info, index + 1, "port", 0, 65535);
  core::Address address;
  if (core::ParseAddress(host.c_str(), port, &address) != 0) {
    throw ArgValueError(info.Env(), "host", "an IPv4 or IPv6 address literal");
  }
  return address;
}

Napi::Value Socket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int family = FamilyArg(info, 0);
  int fd = -1;
  int err = core::OpenStreamSocket(family, &fd);
  if (err == 0) GetInstance(env).owned_fds.insert(fd);
  return Result(env, err, fd);
}

Napi::Value Bind(const Napi::CallbackInfo& info) {
  int fd = OwnedFdArg(info, 0);
  core::Address address = AddressArgs(info, 1);
  return Result(info.Env(), core::Bind(fd, address));
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  int fd = OwnedFdArg(info, 0);
  int backlog = IntArg(info, 1, "backlog", 0, INT32_MAX);
  return Result(info.Env(), core::Listen(fd, backlog));
}

Napi::Value Connect(const Napi::CallbackInfo& info) {
  int fd = OwnedFdArg(info, 0);
  core::Address address = AddressArgs(info, 1);
  return Result(info.Env(), core::Connect(fd, address));
}

Napi::Value Accept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = OwnedFdArg(info, 0);
  int accepted = -1;
  int err = core::Accept(fd, &accepted);
  if (err == 0) GetInstance(env).owned_fds.insert(accepted);
  return Result(env, err, accepted);
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  int fd = OwnedFdArg(info, 0);
  Bytes bytes = BytesArg(info, 1, "data");
  size_t sent = 0;
  int err = core::Send(fd, bytes.data, bytes.length, &sent);
  return Result(info.Env(), err, static_cast<double>(sent));
}

Napi::Value Recv(const Napi::CallbackInfo& info) {
  int fd = OwnedFdArg(info, 0);
  Bytes bytes = BytesArg(info, 1, "buffer");
  size_t received = 0;
  int err = core::Recv(fd, bytes.data, bytes.length, &received);
  return Result(info.Env(), err, static_cast<double>(received));
}

Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  int fd = OwnedFdArg(info, 0);
  int how = IntArg(info, 1, "how", SHUT_RD, SHUT_RDWR);
  return Result(info.Env(), core::Shutdown(fd, how));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = OwnedFdArg(info, 0);
  // libuv must stop polling the fd before it is closed, or epoll would keep watching a
  // descriptor number that the next socket() may reuse.
  CancelWaits(env, fd);
  ForgetOwned(GetInstance(env), fd);
  return Result(env, core::Close(fd));
}

Napi::Value AddressResult(Napi::Env env, int err, const core::Address& address) {
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (err == 0) err = core::FormatAddress(address, host, sizeof(host), &port);
  if (err != 0) return Result(env, err);
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::String::New(env, host));
  out.Set(1u, Napi::Number::New(env, port));
  out.Set(2u, Napi::Number::New(env, address.storage.ss_family == AF_INET6 ? 6 : 4));
  return out;
}

Napi::Value LocalAddress(const Napi::CallbackInfo& info) {
  int fd = OwnedFdArg(info, 0);
  core::Address address;
  int err = core::LocalAddress(fd, &address);
  return AddressResult(info.Env(), err, address);
}

Napi::Value PeerAddress(const Napi::CallbackInfo& info) {
  int fd = OwnedFdArg(info, 0);
  core::Address address;
  int err = core::PeerAddress(fd, &address);
  return AddressResult(info.Env(), err, address);
}

Napi::Value OwnedCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), GetInstance(info.Env()).owned_fds.size());
}

}  // namespace

Napi::Object InitRawIo(Napi::Env env) {
  GetInstance(env);
  Napi::Object exports = Napi::Object::New(env);
  exports.Set("socket", Napi::Function::New(env, Socket, "socket"));
  exports.Set("bind", Napi::Function::New(env, Bind, "bind"));
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
  exports.Set("accept", Napi::Function::New(env, Accept, "accept"));
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("recv", Napi::Function::New(env, Recv, "recv"));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("getsockname", Napi::Function::New(env, LocalAddress, "getsockname"));
  exports.Set("getpeername", Napi::Function::New(env, PeerAddress, "getpeername"));
  exports.Set("ownedCount", Napi::Function::New(env, OwnedCount, "ownedCount"));
  return exports;
}

}  // namespace sockctl
