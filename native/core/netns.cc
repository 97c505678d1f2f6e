// Interface flags through the classic ioctls of netdevice(7), so the namespace helper does not
// depend on iproute2 being installed.
#include "netns.h"

#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace sockctl::core {

int BringLinkUp(const char* name, const char** request) {
  ifreq ifr = {};
  if (std::strlen(name) >= sizeof(ifr.ifr_name)) {
    *request = "SIOCGIFFLAGS";
    return ENODEV;
  }
  std::strncpy(ifr.ifr_name, name, sizeof(ifr.ifr_name) - 1);
  // Any socket in the namespace carries the ioctls; a datagram one has no side effects.
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *request = "socket";
    return errno;
  }
  int err = 0;
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    *request = "SIOCGIFFLAGS";
    err = errno;
  } else if ((ifr.ifr_flags & IFF_UP) == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
      *request = "SIOCSIFFLAGS";
      err = errno;
    }
  }
  close(fd);
  return err;
}

}  // namespace sockctl::core
