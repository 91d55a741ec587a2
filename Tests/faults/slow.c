/*
 * slow QUEUE DELAY_MS JITTER_MS LOSS_PERCENT
 *
 * Delays and drops the packets iptables hands to NFQUEUE number QUEUE, in the network namespace
 * it runs in: each packet is held DELAY_MS ± JITTER_MS (uniform), or dropped with probability
 * LOSS_PERCENT / 100, like `tc netem delay D J loss L%` (which this kernel lacks). Packets may
 * be reordered by the jitter, as with netem. Runs until killed.
 *
 * Built by Tests/faults/lab: cc -O2 -o slow slow.c -lnetfilter_queue
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HELD_MAX 65536

struct held {
    int64_t due;
    uint32_t id;
};

static struct held held[HELD_MAX];
static int held_count;
static int64_t delay_ns, jitter_ns;
static double loss;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *message, struct nfq_data *data, void *context) {
    (void)message;
    (void)context;
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
    if (!header) return 0;
    uint32_t id = ntohl(header->packet_id);
    if (drand48() * 100.0 < loss || held_count == HELD_MAX) return nfq_set_verdict(queue, id, NF_DROP, 0, NULL);
    int64_t spread = jitter_ns > 0 ? (int64_t)((drand48() * 2.0 - 1.0) * (double)jitter_ns) : 0;
    held[held_count].due = now_ns() + delay_ns + spread;
    held[held_count].id = id;
    held_count++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: slow QUEUE DELAY_MS JITTER_MS LOSS_PERCENT\n");
        return 2;
    }
    int number = atoi(argv[1]);
    delay_ns = (int64_t)atoll(argv[2]) * 1000000LL;
    jitter_ns = (int64_t)atoll(argv[3]) * 1000000LL;
    loss = atof(argv[4]);
    srand48(now_ns());

    struct nfq_handle *handle = nfq_open();
    if (!handle) {
        perror("slow: nfq_open");
        return 1;
    }
    struct nfq_q_handle *queue = nfq_create_queue(handle, (uint16_t)number, on_packet, NULL);
    if (!queue) {
        perror("slow: nfq_create_queue");
        return 1;
    }
    nfq_set_mode(queue, NFQNL_COPY_META, 0);
    nfq_set_queue_maxlen(queue, HELD_MAX);
    int descriptor = nfq_fd(handle);
    char buffer[65536];
    for (;;) {
        int64_t now = now_ns();
        int next = -1;
        for (int i = 0; i < held_count;) {
            if (held[i].due <= now) {
                nfq_set_verdict(queue, held[i].id, NF_ACCEPT, 0, NULL);
                held[i] = held[--held_count];
            } else {
                if (next < 0 || held[i].due < held[next].due) next = i;
                i++;
            }
        }
        int wait_ms = next < 0 ? 1000 : (int)((held[next].due - now) / 1000000LL) + 1;
        struct pollfd ready = {.fd = descriptor, .events = POLLIN};
        int polled = poll(&ready, 1, wait_ms);
        if (polled < 0 && errno != EINTR) {
            perror("slow: poll");
            return 1;
        }
        if (polled > 0) {
            ssize_t length = recv(descriptor, buffer, sizeof buffer, MSG_DONTWAIT);
            if (length > 0) nfq_handle_packet(handle, buffer, (int)length);
        }
    }
}
