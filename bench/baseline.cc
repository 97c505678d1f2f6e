// The benchmarks' baseline: the same core functions the addon calls (native/core/options.cc,
// native/core/sockets.cc), in plain loops on connected loopback sockets, with no JavaScript in
// between. Prints {"op":..,"nsPerOp":..} on stdout (per socket for tcpinfo-many, per dump for dump).
//
//   baseline tcpinfo <iterations>                getsockopt(TCP_INFO) on one socket
//   baseline usertimeout <iterations>            getsockopt(TCP_USER_TIMEOUT) on one socket
//   baseline keepalive <iterations>              SO_KEEPALIVE + 3 timers (4 setsockopt)
//   baseline tcpinfo-many <sockets> <iterations> getsockopt(TCP_INFO) over <sockets> sockets
//   baseline dump <remote-port> <iterations>     one inet_diag dump of the sockets connected to
//                                                <remote-port> (another process's), tcp_info
//                                                included, filtered in the kernel
//
// With BASELINE_IDLE_THREAD=1 the process holds one idle thread, as Node's does: the kernel then
// takes a reference on the file for every syscall on an fd (a single-threaded process skips it).
// socket(7), tcp(7), sock_diag(7), clock_gettime(2).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "../native/core/options.h"
#include "../native/core/sockets.h"

namespace {

// A listener on 127.0.0.1 and `count` connections to it, like net.connect gives the JavaScript
// side; the accepted ends are kept open beside them.
bool Connect(int count, std::vector<int>* clients, std::vector<int>* servers) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listener, 4096) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return false;
  }
  for (int i = 0; i < count; i++) {
    int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0 || connect(client, reinterpret_cast<sockaddr*>(&addr), len) != 0) return false;
    int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (server < 0) return false;
    clients->push_back(client);
    servers->push_back(server);
  }
  close(listener);
  return true;
}

// Closes with an RST, so a run leaves no TIME_WAIT behind to slow the next one's dumps.
void Reset(const std::vector<int>& fds) {
  for (int fd : fds) {
    linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(fd);
  }
}

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

class CountingSink : public sockctl::core::DiagSink {
 public:
  int Accept(const sockctl::core::DiagSocket& s) override {
    sockets++;
    checksum += s.info_length + s.state;
    return 0;
  }
  long sockets = 0;
  unsigned checksum = 0;
};

// A thread that only waits, for as long as the object lives (every path out of main joins it).
class IdleThread {
 public:
  explicit IdleThread(bool start) {
    if (start) thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [this] { return finished_; });
    });
  }
  ~IdleThread() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
    }
    done_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool finished_ = false;
  std::thread thread_;
};

int Usage(const char* self) {
  std::fprintf(stderr,
               "usage: %s <tcpinfo|usertimeout|keepalive> <iterations>\n"
               "       %s tcpinfo-many <sockets> <iterations>\n"
               "       %s dump <remote-port> <iterations>\n",
               self, self, self);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage(argv[0]);
  const char* op = argv[1];
  bool two = std::strcmp(op, "tcpinfo-many") == 0 || std::strcmp(op, "dump") == 0;
  if (argc != (two ? 4 : 3)) return Usage(argv[0]);
  long param = two ? std::strtol(argv[2], nullptr, 10) : 1;
  long iterations = std::strtol(argv[two ? 3 : 2], nullptr, 10);
  if (param < 1 || iterations < 1) return Usage(argv[0]);

  const char* idle_env = std::getenv("BASELINE_IDLE_THREAD");
  IdleThread idle(idle_env != nullptr && std::strcmp(idle_env, "1") == 0);

  std::vector<int> clients, servers;
  bool dump = std::strcmp(op, "dump") == 0;
  if (!Connect(dump ? 0 : std::strcmp(op, "tcpinfo-many") == 0 ? static_cast<int>(param) : 1,
               &clients, &servers)) {
    std::perror("connect");
    return 1;
  }
  // Same buffer size as the JavaScript side (TCP_INFO_SIZE).
  constexpr size_t kInfoSize = 280;
  std::vector<unsigned char> buf(kInfoSize * (clients.empty() ? 1 : clients.size()));
  unsigned checksum = 0;
  long per = 1;  // operations per iteration, for ns per operation
  int err = 0;
  double start = Now();
  if (std::strcmp(op, "tcpinfo") == 0) {
    for (long i = 0; i < iterations && err == 0; i++) {
      unsigned length = kInfoSize;
      err = sockctl::core::GetTcpInfo(clients[0], buf.data(), &length);
      checksum += length + buf[0];
    }
  } else if (std::strcmp(op, "usertimeout") == 0) {
    for (long i = 0; i < iterations && err == 0; i++) {
      int ms = 0;
      err = sockctl::core::GetIntOption(clients[0], IPPROTO_TCP, TCP_USER_TIMEOUT, &ms);
      checksum += static_cast<unsigned>(ms);
    }
  } else if (std::strcmp(op, "keepalive") == 0) {
    // Alternate like the JavaScript side so every call really changes the kernel's values.
    for (long i = 0; i < iterations && err == 0; i++) {
      sockctl::core::KeepAlive k = {1, 10 + static_cast<int>(i & 1), 5, 3};
      const char* failed = nullptr;
      err = sockctl::core::SetKeepAlive(clients[0], k, &failed);
    }
  } else if (std::strcmp(op, "tcpinfo-many") == 0) {
    // The loop a batch call replaces: each socket's getsockopt into its own slot.
    per = static_cast<long>(clients.size());
    for (long i = 0; i < iterations && err == 0; i++) {
      for (size_t s = 0; s < clients.size() && err == 0; s++) {
        unsigned length = kInfoSize;
        err = sockctl::core::GetTcpInfo(clients[s], buf.data() + s * kInfoSize, &length);
        checksum += length;
      }
    }
  } else if (dump) {
    if (param > 65535) return Usage(argv[0]);
    sockctl::core::PortFilter ports;
    ports.remote.push_back(static_cast<uint16_t>(param));
    sockctl::core::DumpRequest request;
    request.family = AF_UNSPEC;
    request.ports = &ports;
    long sockets = -1;
    for (long i = 0; i < iterations && err == 0; i++) {
      CountingSink sink;
      const char* step = "";
      err = sockctl::core::Dump(request, &sink, &step);
      checksum += sink.checksum;
      sockets = sink.sockets;
    }
    std::fprintf(stderr, "dump: %ld sockets\n", sockets);
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
              elapsed / (static_cast<double>(iterations) * per), checksum);
  Reset(clients);
  Reset(servers);
  return 0;
}
