#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "CDatagram.h"

#define SAME_FIELD(ours, theirs, field, their_field) \
    _Static_assert(offsetof(ours, field) == offsetof(theirs, their_field), #field " of " #theirs)

_Static_assert(sizeof(herald_msghdr) == sizeof(struct msghdr), "msghdr size");
SAME_FIELD(herald_msghdr, struct msghdr, name, msg_name);
SAME_FIELD(herald_msghdr, struct msghdr, name_length, msg_namelen);
SAME_FIELD(herald_msghdr, struct msghdr, vectors, msg_iov);
SAME_FIELD(herald_msghdr, struct msghdr, vector_count, msg_iovlen);
SAME_FIELD(herald_msghdr, struct msghdr, control, msg_control);
SAME_FIELD(herald_msghdr, struct msghdr, control_length, msg_controllen);
SAME_FIELD(herald_msghdr, struct msghdr, flags, msg_flags);
_Static_assert(sizeof(herald_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr size");
SAME_FIELD(herald_mmsghdr, struct mmsghdr, length, msg_len);

int herald_recvmmsg_waitforone(int descriptor, herald_mmsghdr *messages, unsigned int count) {
    return recvmmsg(descriptor, (struct mmsghdr *)messages, count, MSG_WAITFORONE, NULL);
}

int herald_sendmmsg(int descriptor, herald_mmsghdr *messages, unsigned int count) {
    return sendmmsg(descriptor, (struct mmsghdr *)messages, count, 0);
}

int herald_udp_bind(const char *host, int port, int timeout_ms, int *bound_port) {
    struct sockaddr_storage address;
    socklen_t length;
    memset(&address, 0, sizeof address);
    struct sockaddr_in *ipv4 = (struct sockaddr_in *)&address;
    struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)&address;
    if (inet_pton(AF_INET, host, &ipv4->sin_addr) == 1) {
        ipv4->sin_family = AF_INET;
        ipv4->sin_port = htons((unsigned short)port);
        length = sizeof *ipv4;
    } else if (inet_pton(AF_INET6, host, &ipv6->sin6_addr) == 1) {
        ipv6->sin6_family = AF_INET6;
        ipv6->sin6_port = htons((unsigned short)port);
        length = sizeof *ipv6;
    } else {
        return -EINVAL;
    }
    int descriptor = socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (descriptor < 0) return -errno;
    struct timeval timeout = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    if (setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0
        || bind(descriptor, (struct sockaddr *)&address, length) != 0
        || getsockname(descriptor, (struct sockaddr *)&address, &length) != 0) {
        int code = errno;
        close(descriptor);
        return -code;
    }
    *bound_port = ntohs(address.ss_family == AF_INET ? ipv4->sin_port : ipv6->sin6_port);
    return descriptor;
}

unsigned int herald_sockaddr_storage_size(void) { return sizeof(struct sockaddr_storage); }

int herald_truncated(const herald_mmsghdr *message) { return (message->header.flags & MSG_TRUNC) != 0; }
