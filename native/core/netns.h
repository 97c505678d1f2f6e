// Network-namespace setup a fresh `unshare -n` needs: netdevice(7) SIOCGIFFLAGS/SIOCSIFFLAGS.
// Plain core: returns 0 or an errno and names the failing ioctl in *request.
#ifndef SOCKCTL_CORE_NETNS_H_
#define SOCKCTL_CORE_NETNS_H_

namespace sockctl::core {

// Sets IFF_UP on the interface `name` (what `ip link set <name> up` does). A new network
// namespace has `lo` down, so 127.0.0.1 and ::1 are unreachable until this runs. Needs
// CAP_NET_ADMIN over the namespace (which `unshare -Urn` gives). Already up: no change, 0.
int BringLinkUp(const char* name, const char** request);

}  // namespace sockctl::core

#endif  // SOCKCTL_CORE_NETNS_H_
