// Registers each concern's exports; nothing else lives here.
#include <napi.h>

#include "capture.h"
#include "diag.h"
#include "filter.h"
#include "forge.h"
#include "netns.h"
#include "options.h"
#include "poll.h"
#include "queues.h"
#include "raw_io.h"
#include "tcp_info.h"

static Napi::Object InitSockctl(Napi::Env env, Napi::Object exports) {
  exports.Set("options", sockctl::InitOptions(env));
  exports.Set("tcpInfo", sockctl::InitTcpInfo(env));
  exports.Set("queues", sockctl::InitQueues(env));
  exports.Set("rawIo", sockctl::InitRawIo(env));
  exports.Set("poll", sockctl::InitPoll(env));
  exports.Set("filter", sockctl::InitFilter(env));
  exports.Set("diag", sockctl::InitDiag(env));
  exports.Set("netns", sockctl::InitNetns(env));
  exports.Set("capture", sockctl::InitCapture(env));
  exports.Set("forge", sockctl::InitForge(env));
  return exports;
}

NODE_API_MODULE(sockctl, InitSockctl)
