// The benchmarks' baseline: the same core functions the addon calls (native/core/options.cc),
// in a plain loop on a connected loopback socket, with no JavaScript in between.
// Usage: baseline <tcpinfo|keepalive> <iterations>; prints {"op":..,"nsPerOp":..} on stdout.
// socket(7), tcp(7), clock_gettime(2).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../native/core/options.h"

namespace {

// A connected pair on 127.0.0.1, like the one the JavaScript side gets from net.connect.
bool Connect(int* client, int* server) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return false;
  }
  *client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*client < 0 || connect(*client, reinterpret_cast<sockaddr*>(&addr), len) != 0) return false;
  *server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  close(listener);
  return *server >= 0;
}

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <tcpinfo|keepalive> <iterations>\n", argv[0]);
    return 2;
  }
  const char* op = argv[1];
  long iterations = std::strtol(argv[2], nullptr, 10);
  int client = -1, server = -1;
  if (!Connect(&client, &server)) {
    std::perror("connect");
    return 1;
  }
  // Same buffer size as the JavaScript side (TCP_INFO_SIZE).
  unsigned char buf[280];
  unsigned checksum = 0;
  int err = 0;
  double start = Now();
  if (std::strcmp(op, "tcpinfo") == 0) {
    for (long i = 0; i < iterations && err == 0; i++) {
      unsigned length = sizeof(buf);
      err = sockctl::core::GetTcpInfo(client, buf, &length);
      checksum += length + buf[0];
    }
  } else if (std::strcmp(op, "keepalive") == 0) {
    // Alternate like the JavaScript side so every call really changes the kernel's values.
    for (long i = 0; i < iterations && err == 0; i++) {
      sockctl::core::KeepAlive k = {1, 10 + static_cast<int>(i & 1), 5, 3};
      const char* failed = nullptr;
      err = sockctl::core::SetKeepAlive(client, k, &failed);
    }
  } else {
    std::fprintf(stderr, "unknown op %s\n", op);
    return 2;
  }
  double elapsed = Now() - start;
  if (err != 0) {
    std::fprintf(stderr, "%s failed: %s\n", op, std::strerror(err));
    return 1;
  }
  std::printf("{\"op\":\"%s\",\"iterations\":%ld,\"nsPerOp\":%.2f,\"checksum\":%u}\n", op, iterations,
              elapsed / iterations, checksum);
  close(client);
  close(server);
  return 0;
}
