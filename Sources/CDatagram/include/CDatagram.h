#ifndef HERALD_CDATAGRAM_H
#define HERALD_CDATAGRAM_H

#include <stddef.h>

/* struct mmsghdr, recvmmsg and sendmmsg are declared only under _GNU_SOURCE, which Swift's Glibc
   module is not built with. These structs have the layouts of struct msghdr and struct mmsghdr
   (checked where the functions are defined), with plain pointers, so that this header needs no
   socket header of its own; the functions pass them on. */
typedef struct {
    void *name;
    unsigned int name_length;
    void *vectors;
    size_t vector_count;
    void *control;
    size_t control_length;
    int flags;
} herald_msghdr;

typedef struct {
    herald_msghdr header;
    unsigned int length;
} herald_mmsghdr;

/* A UDP socket bound to `host` (an IPv4 or IPv6 literal) and `port` (0 picks one), close-on-exec,
   its receive timing out after `timeout_ms` so that a loop on it looks up now and then. Returns
   the descriptor and sets `*bound_port`, or returns -errno (-EINVAL when `host` is no address). */
int herald_udp_bind(const char *host, int port, int timeout_ms, int *bound_port);

/* The sending address of a received datagram is passed back as is; its size: */
unsigned int herald_sockaddr_storage_size(void);

/* recvmmsg(2) with MSG_WAITFORONE: blocks until one datagram is there, then takes whatever else
   is queued, up to `count`. */
int herald_recvmmsg_waitforone(int descriptor, herald_mmsghdr *messages, unsigned int count);

/* sendmmsg(2). */
int herald_sendmmsg(int descriptor, herald_mmsghdr *messages, unsigned int count);

/* Whether recvmmsg cut this datagram short (MSG_TRUNC). */
int herald_truncated(const herald_mmsghdr *message);

#endif
